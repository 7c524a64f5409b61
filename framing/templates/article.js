// Article view: hovering or focusing a sentence shows its probabilities and terms. The data
// is read from the sentence's data-s attribute (escaped JSON) and written with textContent,
// so no article text is ever parsed as HTML or run as script.
(function () {
  "use strict";
  var frames = JSON.parse(document.getElementById("frames").getAttribute("data-frames"));
  var tip = document.getElementById("tip");
  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }
  function show(sentence) {
    var data = JSON.parse(sentence.getAttribute("data-s"));
    tip.textContent = "";
    var head = document.createElement("div");
    head.textContent = "Sentence " + (data.i + 1) + ": probability per frame";
    tip.appendChild(head);
    var table = document.createElement("table");
    var order = frames.map(function (f, k) { return k; });
    order.sort(function (a, b) { return data.p[b] - data.p[a]; });
    order.forEach(function (k) {
      var f = frames[k];
      var row = table.insertRow();
      var name = cell(row, "");
      var badge = document.createElement("span");
      badge.className = "num";
      badge.style.setProperty("--c", f.colour);
      badge.style.setProperty("--on", f.ink);
      badge.textContent = String(k + 1);
      name.appendChild(badge);
      name.appendChild(document.createTextNode(" " + f.name));
      cell(row, data.p[k].toFixed(2), "n");
      cell(row, data.p[k] >= f.threshold ? "carries (\u2265 " + f.threshold.toFixed(2) + ")" : "", "");
      var terms = data.t[f.id];
      if (terms && terms.length) {
        var why = table.insertRow();
        cell(why, "");
        var t = cell(why, "terms: " + terms.join(", "), "terms");
        t.colSpan = 2;
      }
    });
    tip.appendChild(table);
    tip.hidden = false;
    var box = sentence.getBoundingClientRect();
    var top = box.bottom + 6;
    if (top + tip.offsetHeight > window.innerHeight) { top = Math.max(4, box.top - tip.offsetHeight - 6); }
    tip.style.top = top + "px";
    tip.style.left = Math.max(4, Math.min(box.left, window.innerWidth - tip.offsetWidth - 8)) + "px";
  }
  function hide() { tip.hidden = true; }
  document.querySelectorAll(".s").forEach(function (s) {
    s.addEventListener("mouseenter", function () { show(s); });
    s.addEventListener("focus", function () { show(s); });
    s.addEventListener("mouseleave", hide);
    s.addEventListener("blur", hide);
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { hide(); } });
})();
