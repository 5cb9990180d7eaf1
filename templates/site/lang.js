/* The language switch: bilingual / 中文 / English. Sets a class on <html> (the CSS hides the
   other language) and remembers the choice. Loaded in <head> so the saved choice applies
   before the page paints; without JavaScript the page stays bilingual. */
(function () {
  "use strict";
  var KEY = "newsletter.lang";
  var MODES = ["bi", "zh", "en"];
  var root = document.documentElement;

  function saved() {
    try {
      var value = window.localStorage.getItem(KEY);
      return MODES.indexOf(value) >= 0 ? value : "bi";
    } catch (e) {
      return "bi"; // storage blocked (privacy mode, file://): stay bilingual
    }
  }

  function apply(mode) {
    MODES.forEach(function (m) { root.classList.remove("lang-" + m); });
    root.classList.add("lang-" + mode);
    root.setAttribute("lang", mode === "zh" ? "zh-CN" : "en");
    var buttons = document.querySelectorAll("#lang-switch button[data-lang]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-lang") === mode ? "true" : "false");
    });
  }

  function choose(mode) {
    apply(mode);
    try { window.localStorage.setItem(KEY, mode); } catch (e) { /* not remembered */ }
    document.dispatchEvent(new CustomEvent("newsletter:lang", { detail: mode }));
  }

  apply(saved());
  document.addEventListener("DOMContentLoaded", function () {
    var group = document.getElementById("lang-switch");
    if (!group) { return; }
    group.hidden = false;
    apply(saved());
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-lang]");
      if (button) { choose(button.getAttribute("data-lang")); }
    });
  });
  window.newsletterLanguage = function () {
    for (var i = 0; i < MODES.length; i++) {
      if (root.classList.contains("lang-" + MODES[i])) { return MODES[i]; }
    }
    return "bi";
  };
})();
