// framing annotate: keyboard shortcuts and the definitions panel. The page works without this
// file (the forms post as they are); nothing here talks to the network.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var decide = document.getElementById("decide");
  var undoForm = document.getElementById("undo-form");
  var note = document.getElementById("note");
  var sent = false;

  document.querySelectorAll(".bar[data-p]").forEach(function (bar) {
    bar.style.setProperty("--p", Math.round(parseFloat(bar.dataset.p) * 100) + "%");
  });

  function show(frame) {
    document.querySelectorAll(".definition").forEach(function (d) {
      d.hidden = d.id !== "def-" + frame;
    });
    var general = document.getElementById("rule-general");
    if (general) general.hidden = Boolean(frame);
    var hint = document.querySelector("#panel .hint");
    if (hint) hint.hidden = Boolean(frame);
  }
  document.querySelectorAll("label.frame").forEach(function (label) {
    var frame = label.dataset.frame;
    label.addEventListener("mouseenter", function () { show(frame); });
    label.querySelector("input").addEventListener("focus", function () { show(frame); });
  });

  function submit(form, button) {
    if (!form || sent) return;  // one decision per page: a double key press must not post twice
    sent = true;
    if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var typing = event.target === note;
    if (typing) {
      if (event.key === "Escape") { note.blur(); event.preventDefault(); }
      else if (event.key === "Enter") { event.preventDefault(); submit(decide, document.getElementById("save")); }
      return;
    }
    var key = event.key;
    if (key === "Enter") {
      event.preventDefault(); submit(decide, document.getElementById("save"));
    } else if (key === "0") {
      event.preventDefault(); submit(decide, document.getElementById("none"));
    } else if (key === "s") {
      event.preventDefault(); submit(decide, document.getElementById("skip"));
    } else if (key === "u" || key === "Backspace") {
      var undo = document.getElementById("undo");
      if (undo && !undo.disabled) { event.preventDefault(); submit(undo.form, undo); }
    } else if (key === "n" && note) {
      event.preventDefault(); note.focus();
    } else {
      var box = decide && decide.querySelector('input[data-key="' + CSS.escape(key) + '"]');
      if (box) {
        event.preventDefault();
        box.checked = !box.checked;
        show(box.value);
      }
    }
  });
  if (undoForm) undoForm.addEventListener("submit", function () { sent = true; });
  if (decide) decide.addEventListener("submit", function () { sent = true; });
});
