/* Samverkanskartan: the follow-up hook of a network view (see docs/follow-up.md).
 *
 * Adds a toggle "Färga insatser efter senaste uppföljning" with a legend. When it is on, each
 * intervention node is coloured by its latest follow-up status and its label starts with the
 * status symbol, so that the status never rests on colour alone; off restores the view's own
 * colours and labels. Reads the nodes' "status" (set by uvts.visualisations.follow_up.node_status)
 * through window.uvtsView; every text is set with textContent.
 */
(function () {
  "use strict";

  var v = window.uvtsView;
  if (!v) { return; }
  var ORDER = ["enligt-plan", "forsenad", "avbruten", "avslutad", "ej-paborjad", "ingen-status", "ej-uppfoljd"];
  var STYLE = {
    "enligt-plan": ["#1a7f37", "✓", "Enligt plan"],
    "forsenad": ["#d97706", "!", "Försenad"],
    "avbruten": ["#b91c1c", "✕", "Avbruten"],
    "avslutad": ["#1f4e9c", "■", "Avslutad"],
    "ej-paborjad": ["#9ca3af", "○", "Ej påbörjad"],
    "ingen-status": ["#c4b5fd", "–", "Ingen status angiven"],
    "ej-uppfoljd": ["#ffffff", "?", "Inte uppföljd"]
  };
  var items = v.nodes.get({ filter: function (n) { return n.kind === "Intervention" && n.status; } });
  if (!items.length) { return; }
  var original = {};
  items.forEach(function (n) { original[n.id] = { color: n.color, label: n.label, borderWidth: n.borderWidth }; });
  var counts = {};
  items.forEach(function (n) { counts[n.status] = (counts[n.status] || 0) + 1; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  var box = el("section", "uvts-box");
  box.id = "uvts-status-box";
  box.setAttribute("aria-labelledby", "uvts-status-title");
  var title = el("h2", null, "Uppföljning");
  title.id = "uvts-status-title";
  box.appendChild(title);
  var label = el("label", "uvts-check");
  var toggle = el("input");
  toggle.type = "checkbox";
  toggle.id = "uvts-status-toggle";
  label.appendChild(toggle);
  label.appendChild(document.createTextNode(" Färga insatser efter senaste uppföljning"));
  box.appendChild(label);
  var legend = el("ul", "uvts-legend");
  legend.id = "uvts-status-legend";
  legend.hidden = true;
  ORDER.forEach(function (s) {
    if (!counts[s]) { return; }
    var li = el("li");
    li.setAttribute("data-status", s);
    var swatch = el("span", "uvts-status-swatch", STYLE[s][1]);
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.background = STYLE[s][0];
    swatch.style.border = "1px solid #333333";
    swatch.style.display = "inline-block";
    swatch.style.minWidth = "1.2em";
    swatch.style.textAlign = "center";
    swatch.style.marginRight = ".4em";
    swatch.style.color = s === "ej-uppfoljd" || s === "ingen-status" || s === "ej-paborjad" ? "#111111" : "#ffffff";
    li.appendChild(swatch);
    li.appendChild(el("span", null, STYLE[s][1] + " " + STYLE[s][2] + " (" + counts[s] + ")"));
    legend.appendChild(li);
  });
  box.appendChild(legend);
  // in the sidebar, before the legend (the details panel now lies over the graph)
  var legendBox = document.getElementById("uvts-legend").closest("section");
  legendBox.parentNode.insertBefore(box, legendBox);

  function colour(s) {
    var c = STYLE[s][0];
    return { background: c, border: "#222222", highlight: { background: c, border: "#000000" },
             hover: { background: c, border: "#000000" } };
  }

  function apply(on) {
    legend.hidden = !on;
    v.nodes.update(items.map(function (n) {
      if (!on) { return { id: n.id, color: original[n.id].color, label: original[n.id].label,
                          borderWidth: original[n.id].borderWidth }; }
      return { id: n.id, color: colour(n.status), label: STYLE[n.status][1] + " " + original[n.id].label, borderWidth: 2 };
    }));
    v.statusColoured = on;
  }

  toggle.addEventListener("change", function () { apply(toggle.checked); });
  v.setStatusColours = function (on) { toggle.checked = !!on; apply(!!on); };
}());
