/* Samverkanskartan: one network view.
 *
 * Reads the view's JSON data block, draws it with vis-network (inlined in the page) and
 * adds tooltips, search, filters, neighbourhood focus, readable labels and a table with the
 * same content. Every text that comes from the data is set with textContent (or given to
 * vis-network as a DOM element or canvas label), never as HTML. The network and its data
 * are exposed as window.uvtsView for tests.
 *
 * Labels: each node has a rank (type importance, then links) and a label size in screen
 * pixels (labelPx). After every fit, zoom, filter or focus the labels are set to that
 * on-screen size and, from the highest rank down, a label is shown only when its box does
 * not overlap a label already shown: nothing overlaps at any zoom, and zooming in shows more.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("uvts-data").textContent);
  var state = {
    startedAt: performance.now(), stabilised: false, stabilisedAt: null, iterations: 0,
    focus: null, query: "", visible: null, settling: false, settled: 0, labelled: [], empty: null
  };
  var TIP_ITEMS = 3;       // list items shown in a tooltip (all are shown in the details panel)
  var TIP_TEXT = 240;      // characters of a long text shown in a tooltip
  var MAX_RESULTS = 40;
  var MAX_TABLE_ROWS = 400;
  var LINE_CHARS = 24;     // a label is wrapped into at most two lines of about this many characters
  var SETTLE_ITERATIONS = 80;
  var FONT_FACE = "system-ui, sans-serif";
  var FIT_MARGIN = 0.9;    // the fitted picture is zoomed out this much to leave room for labels at the edges
  var PROMINENT = 4000;    // rank from which a label may be drawn across other nodes

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function count(n, one, many) { return n + " " + (n === 1 ? one : many); }

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

  /* A label in at most two lines of about LINE_CHARS characters. */
  function wrap(text) {
    var words = String(text).split(/\s+/);
    var lines = [""];
    words.forEach(function (w) {
      var last = lines[lines.length - 1];
      if (last && (last + " " + w).length > LINE_CHARS) { lines.push(w); } else { lines[lines.length - 1] = last ? last + " " + w : w; }
    });
    if (lines.length > 2) { lines = [lines[0], lines.slice(1).join(" ")]; }
    if (lines.length === 2 && lines[1].length > LINE_CHARS + 2) { lines[1] = lines[1].slice(0, LINE_CHARS).replace(/\s+\S*$/, "") + " …"; }
    if (lines[0].length > LINE_CHARS + 6) { lines[0] = lines[0].slice(0, LINE_CHARS + 4) + "…"; }
    return lines;
  }

  var byId = {};
  var adjacent = {};
  var incident = {};
  data.nodes.forEach(function (n) {
    byId[n.id] = n;
    adjacent[n.id] = [];
    incident[n.id] = [];
    n.searchKey = normalise(n.name + " " + n.label);
    n.lines = wrap(n.name);
  });
  data.edges.forEach(function (e) {
    if (adjacent[e.from] && adjacent[e.to]) {
      adjacent[e.from].push(e.to);
      adjacent[e.to].push(e.from);
      incident[e.from].push(e);
      incident[e.to].push(e);
    }
  });

  function edgeInfo(e) {
    if (e.info) { return e.info; }
    var from = byId[e.from], to = byId[e.to];
    return {
      head: "Koppling", name: data.relations[e.rel] || "koppling",
      rows: [["Från", from ? from.name : ""], ["Till", to ? to.name : ""]]
    };
  }

  var nodeItems = data.nodes.map(function (n) {
    var item = Object.assign({}, n);
    delete item.searchKey;
    delete item.lines;
    item.label = "";
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
  var canMove = !!(options.physics && options.physics.enabled !== false);
  var network = new vis.Network(container, { nodes: nodesView, edges: edgesView }, options);

  var loading = document.getElementById("uvts-loading");
  var progress = document.getElementById("uvts-progress");
  var countOut = document.getElementById("uvts-count");
  var emptyOut = document.getElementById("uvts-empty");
  var search = document.getElementById("uvts-search");
  var results = document.getElementById("uvts-results");
  var infoBox = document.getElementById("uvts-info");
  var infoTitle = document.getElementById("uvts-info-title");
  var infoBody = document.getElementById("uvts-info-body");
  var infoLinkRow = document.getElementById("uvts-info-link-row");
  var infoLink = document.getElementById("uvts-info-link");
  var tableBox = document.getElementById("uvts-table");
  var depthSelect = document.getElementById("uvts-depth");
  var selects = {
    levels: document.getElementById("uvts-level"),
    departments: document.getElementById("uvts-department"),
    risk_factors: document.getElementById("uvts-risk-factor")
  };
  var FACET_NAMES = { levels: "Preventionsnivå", departments: "Förvaltning", risk_factors: "Riskfaktor" };
  // a chosen level or risk factor hides the other nodes of its kind
  var FACET_KIND = { levels: "PreventionLevel", risk_factors: "RiskFactor" };
  var typeBoxes = Array.prototype.slice.call(document.querySelectorAll("input.uvts-type"));

  /* Keep every node's position in the DataSet, so that a node hidden by a filter comes back where it was. */
  function storePositions(ids) {
    var pos = network.getPositions(ids);
    nodes.update(Object.keys(pos).map(function (id) { return { id: id, x: pos[id].x, y: pos[id].y }; }));
    return pos;
  }

  /* --- labels ------------------------------------------------------------------------------ */

  var measurer = document.createElement("canvas").getContext("2d");

  var widths = {};
  function textWidth(lines, px) {
    var key = px + "|" + lines.join("\n");
    if (widths[key] === undefined) {
      measurer.font = px + "px " + FONT_FACE;
      widths[key] = Math.max.apply(null, lines.map(function (l) { return measurer.measureText(l).width; }));
    }
    return widths[key];
  }

  function pinned() {
    var out = new Set();
    if (data.focus && byId[data.focus]) { out.add(data.focus); }  // the node the view is about
    if (state.focus) { out.add(state.focus); }
    (state.found || []).forEach(function (n) { out.add(n.id); });
    return out;
  }

  /* Show the labels that fit without overlapping, most important first, at their on-screen size. */
  /* Boxes in a coarse grid of cells, so that "does this box touch one already placed" looks
     only at the boxes in the same cells (a large view has thousands of nodes). */
  function Grid(cell) { this.cell = cell; this.cells = {}; }
  Grid.prototype.keys = function (b) {
    var out = [], c = this.cell;
    for (var x = Math.floor(b.left / c); x <= Math.floor(b.right / c); x++) {
      for (var y = Math.floor(b.top / c); y <= Math.floor(b.bottom / c); y++) { out.push(x + "," + y); }
    }
    return out;
  };
  Grid.prototype.add = function (b) {
    var cells = this.cells;
    this.keys(b).forEach(function (k) { (cells[k] = cells[k] || []).push(b); });
  };
  Grid.prototype.hits = function (b, except) {
    var keys = this.keys(b);
    for (var i = 0; i < keys.length; i++) {
      var list = this.cells[keys[i]] || [];
      for (var j = 0; j < list.length; j++) {
        var o = list[j];
        if (o.id !== except && !(b.right <= o.left || b.left >= o.right || b.bottom <= o.top || b.top >= o.bottom)) {
          return true;
        }
      }
    }
    return false;
  };

  var drawnLabel = {};  // node -> "label|size" as last given to vis-network (only changes are sent)

  /* Show the labels that fit without overlapping, most important first, at their on-screen size. */
  function relabel() {
    var ids = nodesView.getIds();
    if (!ids.length) { state.labelled = []; return; }
    var scale = network.getScale();
    var pos = network.getPositions(ids);
    var pins = pinned();
    var order = ids.map(function (id) { return byId[id]; }).sort(function (a, b) {
      var pa = pins.has(a.id) ? 1 : 0, pb = pins.has(b.id) ? 1 : 0;
      return (pb - pa) || (b.rank - a.rank) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    var width = container.clientWidth, height = container.clientHeight;
    var factor = width < 600 ? 0.85 : 1;  // a phone gets somewhat smaller labels
    var labels = new Grid(80);
    var shapes = new Grid(80);
    var where = {};
    // the nodes themselves are obstacles too: a label is not drawn over another node
    order.forEach(function (n) {
      var body = network.body.nodes[n.id];
      var p = network.canvasToDOM(pos[n.id]);
      var half = (body && body.shape && body.shape.height ? body.shape.height / 2 : n.size) * scale;
      where[n.id] = { p: p, half: half };
      if (p.x >= -half && p.y >= -half && p.x <= width + half && p.y <= height + half) {
        var r = half * 0.8;
        shapes.add({ id: n.id, left: p.x - r, right: p.x + r, top: p.y - r, bottom: p.y + r });
      }
    });
    var shown = [];
    var updates = [];
    order.forEach(function (n) {
      var p = where[n.id].p, half = where[n.id].half;
      var px = Math.round(n.labelPx * factor);
      var free = p.x >= 0 && p.x <= width && p.y >= 0 && p.y <= height;
      var box = null;
      if (free) {
        var w = textWidth(n.lines, px) + 8;
        var h = n.lines.length * (px + 3) + 6;
        box = { id: n.id, left: p.x - w / 2, right: p.x + w / 2, top: p.y + half, bottom: p.y + half + h };
        var pin = pins.has(n.id);  // the view's own node, the chosen node and search hits: labelled when at all possible
        free = (pin || (box.left >= 0 && box.right <= width && box.top >= 0 && box.bottom <= height)) &&
          !labels.hits(box, null) &&
          // the most important labels (risk factors, departments, levels) may cross a node, never another label
          (pin || n.rank >= PROMINENT || !shapes.hits(box, n.id));
      }
      var want = free ? n.lines.join("\n") + "|" + (px / scale) : "";
      if (free) {
        labels.add(box);
        shown.push(n.id);
      }
      if (drawnLabel[n.id] !== want) {
        drawnLabel[n.id] = want;
        updates.push(free ? { id: n.id, label: n.lines.join("\n"), font: { size: px / scale } } : { id: n.id, label: "" });
      }
    });
    if (updates.length) { nodes.update(updates); }
    state.labelled = shown;
  }

  var relabelTimer = null;
  function relabelSoon() {
    if (relabelTimer) { clearTimeout(relabelTimer); }
    relabelTimer = setTimeout(function () { relabelTimer = null; relabel(); }, 120);
  }

  /* Fit what is shown, with a margin so that the labels of the outermost nodes fit too. */
  function fitAndLabel() {
    if (nodesView.length > 0) {
      network.fit({ nodes: nodesView.getIds(), animation: false });
      if (nodesView.length > 1) { network.moveTo({ scale: network.getScale() * FIT_MARGIN, animation: false }); }
    }
    relabel();
  }

  /* --- settling --------------------------------------------------------------------------- */

  var home = null;  // the positions after the first settling: "Visa allt" returns to them

  function finish() {
    network.setOptions({ physics: { enabled: false } });
    home = storePositions();
    state.stabilised = true;
    state.stabilisedAt = performance.now();
    loading.hidden = true;
    fitAndLabel();
    buildTable();
    document.documentElement.setAttribute("data-uvts-state", "klar");
    setTimeout(pruneOptions, 0);
  }

  function settled() {
    network.setOptions({ physics: { enabled: false } });
    storePositions(nodesView.getIds());
    fitAndLabel();
    state.settling = false;
    state.settled += 1;
    document.documentElement.setAttribute("data-uvts-state", "klar");
  }

  network.on("stabilizationProgress", function (p) {
    if (!state.stabilised) {
      state.iterations = p.iterations;
      progress.textContent = Math.round(100 * p.iterations / Math.max(p.total, 1)) + " %";
    }
  });
  network.on("stabilizationIterationsDone", function () {
    if (!state.stabilised) { finish(); } else if (state.settling) { settled(); }
  });
  if (!canMove) {
    network.once("afterDrawing", finish);
    network.redraw();
  }
  network.on("dragEnd", function (p) { if (p.nodes && p.nodes.length) { storePositions(p.nodes); relabelSoon(); } });
  network.on("zoom", relabelSoon);
  var fitTimer = null;
  network.on("resize", function () {  // a turned phone or a resized window: fit again, label again
    if (!state.stabilised) { return; }
    if (fitTimer) { clearTimeout(fitTimer); }
    fitTimer = setTimeout(function () { fitTimer = null; fitAndLabel(); }, 150);
  });

  /* After a filter, search or focus: let the nodes shown find room again, then fit and label. */
  function resettle() {
    if (!state.stabilised) { return; }
    if (!canMove || nodesView.length < 2) { fitAndLabel(); return; }
    state.settling = true;
    document.documentElement.setAttribute("data-uvts-state", "ordnar");
    network.setOptions({ physics: { enabled: true } });
    network.stabilize(SETTLE_ITERATIONS);
  }

  /* --- which nodes are shown ------------------------------------------------------------- */

  function activeFacets() {
    var out = {};
    Object.keys(selects).forEach(function (key) {
      if (selects[key] && selects[key].value) { out[key] = selects[key].value; }
    });
    return out;
  }

  function checkedTypes() {
    return new Set(typeBoxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
  }

  /* Type and facet filters. Interventions and base missions must match every chosen level,
     department and risk factor; other nodes must be linked to what matches (or be the chosen
     department, risk factor or level itself). A chosen level or risk factor hides the other
     levels or risk factors. */
  function filtered(types, facets) {
    var keys = Object.keys(facets);
    var pass = new Set();
    var chosen = new Set(keys.map(function (k) { return facets[k]; }));
    data.nodes.forEach(function (n) {
      if (!types.has(n.kind)) { return; }
      for (var k = 0; k < keys.length; k++) {
        if (n.facets[keys[k]].indexOf(facets[keys[k]]) < 0) { return; }
        if (FACET_KIND[keys[k]] === n.kind && n.id !== facets[keys[k]]) { return; }
      }
      pass.add(n.id);
    });
    if (keys.length) {
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

  /* Nothing but the chosen nodes themselves: the filters left nothing to look at. */
  function isEmpty(pass, facets) {
    var chosen = new Set(Object.keys(facets).map(function (k) { return facets[k]; }));
    var left = 0;
    pass.forEach(function (id) { if (!chosen.has(id)) { left += 1; } });
    return left === 0;
  }

  function matches(pass, query) {
    var q = normalise(query.trim());
    return data.nodes.filter(function (n) { return pass.has(n.id) && n.searchKey.indexOf(q) >= 0; });
  }

  function optionText(key, value) {
    var s = selects[key];
    for (var i = 0; i < s.options.length; i++) { if (s.options[i].value === value) { return s.options[i].dataset.label || s.options[i].textContent; } }
    return value;
  }

  /* Why nothing is shown, in words: which filter emptied the view. */
  function explainEmpty(types, facets, query) {
    if (!types.size) { return "Ingen typ är ikryssad under Typ: kryssa i minst en."; }
    var keys = Object.keys(facets);
    var pass = filtered(types, facets);
    if (keys.length && isEmpty(pass, facets)) {
      var named = keys.map(function (k) { return FACET_NAMES[k].toLowerCase() + " " + optionText(k, facets[k]); });
      var text = "Inget i vyn passar " + (keys.length > 1 ? "alla valda filter (" + named.join(", ") + ")." : "filtret " + named[0] + ".");
      var hints = [];
      keys.forEach(function (k) {
        var rest = Object.assign({}, facets);
        delete rest[k];
        var without = filtered(types, rest);
        if (!isEmpty(without, rest)) {
          hints.push("Utan filtret " + FACET_NAMES[k].toLowerCase() + " (" + optionText(k, facets[k]) + ") visas " +
            count(without.size, "nod", "noder") + ".");
        }
      });
      if (!hints.length && keys.length === 1) {
        hints.push("Vyn har inga insatser som filtret kan välja; välj ”" + selects[keys[0]].options[0].textContent + "”.");
      }
      return text + " " + hints.join(" ");
    }
    if (query.trim()) { return "Inga träffar på ”" + query.trim() + "” bland det som filtren visar."; }
    return "Inget att visa.";
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
      b.appendChild(el("span", "uvts-muted", " · " + n.info.head));
      b.addEventListener("click", function (ev) { setFocus(n.id, ev.detail === 0); });
      li.appendChild(b);
      results.appendChild(li);
    });
    if (found.length > MAX_RESULTS) {
      results.appendChild(el("li", "uvts-empty", "och " + (found.length - MAX_RESULTS) + " till"));
    }
  }

  function focusDepth(id) {
    var v = depthSelect ? depthSelect.value : "auto";
    if (v === "auto") { return byId[id].kind === "RiskFactor" ? 2 : 1; }
    return v === "2" ? 2 : 1;
  }

  /* The focused node, its neighbours and, two steps out, what the neighbouring interventions
     link to (not other nodes of the focused node's kind when that is a risk factor or level). */
  function neighbourhood(id, pass) {
    var shown = new Set([id]);
    var ring = adjacent[id].filter(function (m) { return pass.has(m); });
    ring.forEach(function (m) { shown.add(m); });
    if (focusDepth(id) === 2) {
      var own = byId[id].kind;
      var skipOwn = own === "RiskFactor" || own === "PreventionLevel";
      ring.forEach(function (m) {
        if (!byId[m].core) { return; }
        adjacent[m].forEach(function (x) {
          if (pass.has(x) && !(skipOwn && byId[x].kind === own)) { shown.add(x); }
        });
      });
    }
    return shown;
  }

  function apply(settle) {
    var types = checkedTypes();
    var facets = activeFacets();
    var pass = filtered(types, facets);
    var shown;
    var query = search.value;
    var found = query.trim() ? matches(pass, query) : null;
    state.found = found;
    if (state.focus && byId[state.focus] && pass.has(state.focus)) {
      shown = neighbourhood(state.focus, pass);
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
    var empty = n === 0 || (!state.focus && !found && isEmpty(pass, facets));
    state.empty = empty ? explainEmpty(types, facets, query) : null;
    emptyOut.textContent = state.empty || "";
    emptyOut.hidden = !empty;
    var hiddenTypes = typeBoxes.filter(function (b) { return !b.checked; }).length;
    countOut.textContent = "Visar " + n + " av " + count(data.nodes.length, "nod", "noder") + " och " + edgesView.length +
      " av " + count(data.edges.length, "koppling", "kopplingar") + "." +
      (state.focus ? " Fokus på en nod och dess grannar (Esc tar bort fokus)." : "") +
      (hiddenTypes && !state.focus ? " " + count(hiddenTypes, "typ är dold", "typer är dolda") + " under Typ." : "") +
      (empty ? " " + state.empty : "");
    if (state.focus && shown.has(state.focus)) {
      network.selectNodes([state.focus]);
    } else if (found) {
      network.selectNodes(found.map(function (x) { return x.id; }).filter(function (id) { return shown.has(id); }));
    } else {
      network.unselectAll();
    }
    if (state.stabilised) { buildTable(); }  // the first table is built once the picture has settled
    if (settle !== false && n > 0) { resettle(); }
  }

  /* Options that would show nothing in this view are marked and disabled. */
  function pruneOptions() {
    var all = new Set(typeBoxes.map(function (b) { return b.value; }));
    Object.keys(selects).forEach(function (key) {
      var s = selects[key];
      if (!s || s.disabled) { return; }
      var usable = 0;
      for (var i = 1; i < s.options.length; i++) {
        var o = s.options[i];
        var f = {};
        f[key] = o.value;
        o.dataset.label = o.textContent;
        if (isEmpty(filtered(all, f), f)) {
          o.disabled = true;
          o.textContent = o.textContent + " (finns inte i vyn)";
        } else {
          usable += 1;
        }
      }
      if (!usable) { s.disabled = true; s.title = "Vyn har inget att välja med det här filtret."; }
    });
  }

  /* --- the details panel ------------------------------------------------------------------- */

  function showInfo(info, href, moveFocus) {
    while (infoBody.firstChild) { infoBody.removeChild(infoBody.firstChild); }
    infoBody.appendChild(details(info, false));
    infoTitle.textContent = "Vald: " + String(info.head).toLowerCase();
    if (href) {
      infoLink.href = href;
      infoLink.textContent = "Öppna sidan om " + info.name;
      infoLinkRow.hidden = false;
    } else {
      infoLinkRow.hidden = true;
    }
    infoBox.hidden = false;
    infoBox.scrollTop = 0;

    if (infoBox.scrollIntoView) { infoBox.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    if (moveFocus) { infoTitle.focus(); }
  }

  function hideInfo() {
    var hadFocus = infoBox.contains(document.activeElement);
    infoBox.hidden = true;
    if (hadFocus) { search.focus(); }
  }

  function setFocus(id, moveFocus) {
    if (!byId[id]) { return; }
    state.focus = id;
    showInfo(byId[id].info, byId[id].href, moveFocus);
    apply(true);
  }

  function clearFocus() {
    var had = state.focus !== null;
    state.focus = null;
    hideInfo();
    if (had) { apply(true); }
  }

  function reset() {
    state.focus = null;
    search.value = "";
    typeBoxes.forEach(function (b) { b.checked = data.hidden_types.indexOf(b.value) < 0; });
    Object.keys(selects).forEach(function (key) { if (selects[key]) { selects[key].value = ""; } });
    hideInfo();
    apply(false);
    if (home) {
      nodes.update(Object.keys(home).map(function (id) { return { id: id, x: home[id].x, y: home[id].y }; }));
      nodesView.getIds().forEach(function (id) { if (home[id]) { network.moveNode(id, home[id].x, home[id].y); } });
    }
    fitAndLabel();
  }

  /* --- the table alternative ---------------------------------------------------------------- */

  var KIND_ORDER = {};
  data.legend.types.forEach(function (t, k) { KIND_ORDER[t.type] = k; });
  var REL_ORDER = {};
  data.legend.relations.forEach(function (r, k) { REL_ORDER[r.rel] = k; });

  function buildTable() {
    var ids = nodesView.getIds();
    var shown = new Set(ids);
    // the most important kinds first (risk factors, then departments and levels, …), then by name
    var rows = ids.map(function (id) { return byId[id]; }).sort(function (a, b) {
      return (Math.floor(b.rank / 1000) - Math.floor(a.rank / 1000)) || (KIND_ORDER[a.kind] - KIND_ORDER[b.kind]) ||
        a.name.localeCompare(b.name, "sv");
    });
    var table = el("table", "uvts-table");
    table.appendChild(el("caption", null, count(rows.length, "nod", "noder") + " visas" +
      (rows.length > MAX_TABLE_ROWS ? "; tabellen tar med de " + MAX_TABLE_ROWS + " första (sök eller filtrera för att se andra)" : "")));
    var head = el("thead");
    var hr = el("tr");
    ["Namn", "Typ", "Kopplingar som visas"].forEach(function (t) { var th = el("th", null, t); th.scope = "col"; hr.appendChild(th); });
    head.appendChild(hr);
    table.appendChild(head);
    var body = el("tbody");
    rows.slice(0, MAX_TABLE_ROWS).forEach(function (n) {
      var tr = el("tr");
      var th = el("th");
      th.scope = "row";
      var b = el("button", "uvts-name", n.name);
      b.type = "button";
      b.setAttribute("aria-label", "Fokusera " + n.name + " i bilden");
      b.addEventListener("click", function (ev) { setFocus(n.id, ev.detail === 0); });
      th.appendChild(b);
      tr.appendChild(th);
      tr.appendChild(el("td", null, n.info.head));
      var td = el("td");
      var links = incident[n.id].filter(function (e) { return shown.has(e.from) && shown.has(e.to); })
        .sort(function (a, b) { return (REL_ORDER[a.rel] - REL_ORDER[b.rel]) || 0; });
      if (links.length) {
        var ul = el("ul");
        links.forEach(function (e) {
          var texts = data.relation_text[e.rel] || [e.rel, e.rel];
          var outgoing = e.from === n.id;
          var other = byId[outgoing ? e.to : e.from];
          ul.appendChild(el("li", null, (outgoing ? texts[0] : texts[1]) + ": " + other.name));
        });
        td.appendChild(ul);
      } else {
        td.textContent = "inga";
      }
      tr.appendChild(td);
      body.appendChild(tr);
    });
    table.appendChild(body);
    while (tableBox.firstChild) { tableBox.removeChild(tableBox.firstChild); }
    tableBox.appendChild(table);
  }

  /* --- events ------------------------------------------------------------------------------- */

  /* The hover tooltip of the node just clicked or tapped would cover the details panel (on a
     phone a tap is also a hover): no tooltip until the pointer has moved away from that spot. */
  var tipBlockedAt = null;
  function blockTooltip(p) {
    var c = p && p.event && p.event.center;
    tipBlockedAt = c ? { x: c.x, y: c.y } : { x: -1e9, y: -1e9 };
    container.classList.add("uvts-no-tip");
  }
  container.addEventListener("pointermove", function (e) {
    if (tipBlockedAt && Math.abs(e.clientX - tipBlockedAt.x) + Math.abs(e.clientY - tipBlockedAt.y) > 16) {
      tipBlockedAt = null;
      container.classList.remove("uvts-no-tip");
    }
  });

  network.on("click", function (p) {
    if ((p.nodes && p.nodes.length) || (p.edges && p.edges.length)) { blockTooltip(p); }
    if (p.nodes && p.nodes.length) {
      setFocus(p.nodes[0], false);
    } else if (p.edges && p.edges.length) {
      var e = edges.get(p.edges[0]);
      if (e) { showInfo(edgeInfo(e), null, false); }
    } else {
      clearFocus();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && (state.focus !== null || !infoBox.hidden)) {
      ev.preventDefault();
      clearFocus();
    }
  });
  document.getElementById("uvts-info-close").addEventListener("click", clearFocus);

  search.addEventListener("input", function () { state.focus = null; hideInfo(); apply(true); });
  typeBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  Object.keys(selects).forEach(function (key) {
    if (selects[key]) { selects[key].addEventListener("change", function () { state.focus = null; hideInfo(); apply(true); }); }
  });
  if (depthSelect) { depthSelect.addEventListener("change", function () { if (state.focus) { apply(true); } }); }
  document.getElementById("uvts-reset").addEventListener("click", reset);
  document.getElementById("uvts-fit").addEventListener("click", fitAndLabel);

  apply(false);

  window.uvtsView = {
    network: network, nodes: nodes, edges: edges, nodesView: nodesView, edgesView: edgesView,
    state: state, data: data, setFocus: setFocus, clearFocus: clearFocus, reset: reset, apply: apply,
    relabel: relabel, fit: fitAndLabel, visibleCount: function () { return nodesView.length; }
  };
}());
