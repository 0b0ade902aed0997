/* Samverkanskartan: one network view.
 *
 * Reads the view's JSON data block, draws it with vis-network (inlined in the page) and
 * adds tooltips, search, filters and neighbourhood focus. Every text that comes from the
 * data is set with textContent (or given to vis-network as a DOM element or canvas label),
 * never as HTML. The network and its data are exposed as window.uvtsView for tests.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("uvts-data").textContent);
  var state = {
    startedAt: performance.now(), stabilised: false, stabilisedAt: null, iterations: 0,
    focus: null, query: "", visible: null
  };
  var TIP_ITEMS = 3;       // list items shown in a tooltip (all are shown in the details panel)
  var TIP_TEXT = 240;      // characters of a long text shown in a tooltip
  var MAX_RESULTS = 40;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function shorten(text, compact) {
    text = String(text);
    return compact && text.length > TIP_TEXT ? text.slice(0, TIP_TEXT - 1) + "…" : text;
  }

  /* A tooltip or details panel: header, name and a list of field/value rows. */
  function details(info, compact) {
    var box = el("div", "uvts-tip");
    box.appendChild(el("div", "uvts-tip-head", info.head));
    box.appendChild(el("div", "uvts-tip-name", info.name));
    var dl = el("dl");
    (info.rows || []).forEach(function (row) {
      dl.appendChild(el("dt", null, row[0]));
      var dd = el("dd");
      if (Array.isArray(row[1])) {
        var ul = el("ul");
        var items = compact ? row[1].slice(0, TIP_ITEMS) : row[1];
        items.forEach(function (v) { ul.appendChild(el("li", null, shorten(v, compact))); });
        if (items.length < row[1].length) {
          ul.appendChild(el("li", "uvts-muted", "och " + (row[1].length - items.length) + " till (klicka för alla)"));
        }
        dd.appendChild(ul);
      } else {
        dd.textContent = shorten(row[1], compact);
      }
      dl.appendChild(dd);
    });
    box.appendChild(dl);
    return box;
  }

  function normalise(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  var byId = {};
  var adjacent = {};
  data.nodes.forEach(function (n) {
    byId[n.id] = n;
    adjacent[n.id] = [];
    n.searchKey = normalise(n.name + " " + n.label);
  });
  data.edges.forEach(function (e) {
    if (adjacent[e.from] && adjacent[e.to]) {
      adjacent[e.from].push(e.to);
      adjacent[e.to].push(e.from);
    }
  });

  function edgeInfo(e) {
    if (e.info) { return e.info; }
    var from = byId[e.from], to = byId[e.to];
    return {
      head: "Koppling", name: data.relations[e.rel] || e.rel,
      rows: [["Från", from ? from.name : e.from], ["Till", to ? to.name : e.to]]
    };
  }

  var nodeItems = data.nodes.map(function (n) {
    var item = Object.assign({}, n);
    delete item.searchKey;
    item.title = details(n.info, true);
    return item;
  });
  var edgeItems = data.edges.map(function (e) {
    var item = Object.assign({}, e);
    item.title = details(edgeInfo(e), true);
    return item;
  });

  var nodes = new vis.DataSet(nodeItems);
  var edges = new vis.DataSet(edgeItems);
  var nodesView = new vis.DataView(nodes, {
    filter: function (item) { return state.visible === null || state.visible.has(item.id); }
  });
  var edgesView = new vis.DataView(edges, {
    filter: function (item) {
      return state.visible === null || (state.visible.has(item.from) && state.visible.has(item.to));
    }
  });

  var container = document.getElementById("uvts-network");
  var options = data.options;
  var network = new vis.Network(container, { nodes: nodesView, edges: edgesView }, options);

  var loading = document.getElementById("uvts-loading");
  var progress = document.getElementById("uvts-progress");
  var countOut = document.getElementById("uvts-count");
  var search = document.getElementById("uvts-search");
  var results = document.getElementById("uvts-results");
  var infoBox = document.getElementById("uvts-info");
  var infoBody = document.getElementById("uvts-info-body");
  var selects = {
    levels: document.getElementById("uvts-level"),
    departments: document.getElementById("uvts-department"),
    risk_factors: document.getElementById("uvts-risk-factor")
  };
  var typeBoxes = Array.prototype.slice.call(document.querySelectorAll("input.uvts-type"));

  /* Keep every node's position in the DataSet, so that a node hidden by a filter comes back where it was. */
  function storePositions(ids) {
    var pos = network.getPositions(ids);
    nodes.update(Object.keys(pos).map(function (id) { return { id: id, x: pos[id].x, y: pos[id].y }; }));
  }

  function finish() {
    if (state.stabilised) { return; }
    network.setOptions({ physics: { enabled: false } });
    storePositions();
    state.stabilised = true;
    state.stabilisedAt = performance.now();
    loading.hidden = true;
    document.documentElement.setAttribute("data-uvts-state", "klar");
  }

  network.on("stabilizationProgress", function (p) {
    state.iterations = p.iterations;
    progress.textContent = Math.round(100 * p.iterations / Math.max(p.total, 1)) + " %";
  });
  network.once("stabilizationIterationsDone", finish);
  if (!options.physics || options.physics.enabled === false) {
    network.once("afterDrawing", finish);
    network.redraw();
  }
  network.on("dragEnd", function (p) { if (p.nodes && p.nodes.length) { storePositions(p.nodes); } });

  /* --- which nodes are shown ------------------------------------------------------------- */

  function activeFacets() {
    var out = {};
    Object.keys(selects).forEach(function (key) {
      if (selects[key] && selects[key].value) { out[key] = selects[key].value; }
    });
    return out;
  }

  /* Type and facet filters. Interventions and base missions must match every chosen level,
     department and risk factor; other nodes must be linked to what matches (or be the chosen
     department, risk factor or level itself). */
  function filtered() {
    var types = new Set(typeBoxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
    var facets = activeFacets();
    var keys = Object.keys(facets);
    var pass = new Set();
    data.nodes.forEach(function (n) {
      if (!types.has(n.kind)) { return; }
      for (var k = 0; k < keys.length; k++) {
        if (n.facets[keys[k]].indexOf(facets[keys[k]]) < 0) { return; }
      }
      pass.add(n.id);
    });
    if (keys.length) {
      var chosen = new Set(keys.map(function (k) { return facets[k]; }));
      var hasCore = data.nodes.some(function (n) { return n.core && pass.has(n.id); });
      pass.forEach(function (id) {
        var n = byId[id];
        if (n.core || chosen.has(id)) { return; }
        var linked = adjacent[id].some(function (m) { return pass.has(m) && (!hasCore || byId[m].core); });
        if (!linked) { pass.delete(id); }
      });
    }
    return pass;
  }

  function matches(pass, query) {
    var q = normalise(query.trim());
    return data.nodes.filter(function (n) { return pass.has(n.id) && n.searchKey.indexOf(q) >= 0; });
  }

  function showResults(found, query) {
    while (results.firstChild) { results.removeChild(results.firstChild); }
    if (!query) { return; }
    if (!found.length) {
      results.appendChild(el("li", "uvts-empty", "Inga träffar"));
      return;
    }
    found.slice(0, MAX_RESULTS).forEach(function (n) {
      var li = el("li");
      var b = el("button", null, n.name);
      b.type = "button";
      b.title = n.info.head;
      b.appendChild(el("span", "uvts-muted", " · " + n.info.head));
      b.addEventListener("click", function () { setFocus(n.id); });
      li.appendChild(b);
      results.appendChild(li);
    });
    if (found.length > MAX_RESULTS) {
      results.appendChild(el("li", "uvts-empty", "och " + (found.length - MAX_RESULTS) + " till"));
    }
  }

  function apply(fit) {
    var pass = filtered();
    var shown;
    var query = search.value;
    var found = query.trim() ? matches(pass, query) : null;
    if (state.focus && byId[state.focus]) {
      shown = new Set([state.focus]);
      adjacent[state.focus].forEach(function (m) { if (pass.has(m)) { shown.add(m); } });
    } else if (found) {
      shown = new Set();
      found.forEach(function (n) {
        shown.add(n.id);
        adjacent[n.id].forEach(function (m) { if (pass.has(m)) { shown.add(m); } });
      });
    } else {
      shown = pass;
    }
    showResults(found || [], query.trim());
    state.visible = shown.size === data.nodes.length ? null : shown;
    nodesView.refresh();
    edgesView.refresh();
    var n = nodesView.length;
    countOut.textContent = "Visar " + n + " av " + data.nodes.length + " noder och " + edgesView.length + " av " +
      data.edges.length + " kopplingar." + (state.focus ? " Fokus på en nod och dess grannar." : "");
    if (state.focus && shown.has(state.focus)) {
      network.selectNodes([state.focus]);
    } else if (found) {
      network.selectNodes(found.map(function (x) { return x.id; }).filter(function (id) { return shown.has(id); }));
    } else {
      network.unselectAll();
    }
    if (fit !== false && n > 0) {
      network.fit({ nodes: nodesView.getIds(), animation: false });
    }
  }

  function showInfo(info) {
    while (infoBody.firstChild) { infoBody.removeChild(infoBody.firstChild); }
    infoBody.appendChild(details(info, false));
    infoBox.hidden = false;
  }

  function setFocus(id) {
    if (!byId[id]) { return; }
    state.focus = id;
    showInfo(byId[id].info);
    apply(true);
  }

  function reset() {
    state.focus = null;
    search.value = "";
    typeBoxes.forEach(function (b) { b.checked = true; });
    Object.keys(selects).forEach(function (key) { if (selects[key]) { selects[key].value = ""; } });
    infoBox.hidden = true;
    apply(true);
  }

  network.on("click", function (p) {
    if (p.nodes && p.nodes.length) {
      setFocus(p.nodes[0]);
    } else if (p.edges && p.edges.length) {
      var e = edges.get(p.edges[0]);
      if (e) { showInfo(edgeInfo(e)); }
    }
  });

  search.addEventListener("input", function () { state.focus = null; apply(true); });
  typeBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  Object.keys(selects).forEach(function (key) {
    if (selects[key]) { selects[key].addEventListener("change", function () { state.focus = null; apply(true); }); }
  });
  document.getElementById("uvts-reset").addEventListener("click", reset);
  document.getElementById("uvts-fit").addEventListener("click", function () {
    network.fit({ nodes: nodesView.getIds(), animation: false });
  });

  apply(false);

  window.uvtsView = {
    network: network, nodes: nodes, edges: edges, nodesView: nodesView, edgesView: edgesView,
    state: state, data: data, setFocus: setFocus, reset: reset, apply: apply,
    visibleCount: function () { return nodesView.length; }
  };
}());
