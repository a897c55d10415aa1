// Keyboard shortcuts of the reviewer console (documented on each page: press "?").
// No framework and no inline script: the pages' Content-Security-Policy allows only this file.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
                  el.isContentEditable);
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    if (help) { help.hidden = !help.hidden; }
  }

  function queuePage() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-href]"));
    var at = -1;
    function select(i) {
      if (!rows.length) { return; }
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (r, j) { r.classList.toggle("selected", j === at); });
      rows[at].scrollIntoView({ block: "nearest" });
    }
    rows.forEach(function (r, j) {
      r.addEventListener("click", function (e) {
        if (e.target.tagName !== "A") { window.location = r.dataset.href; }
      });
      r.addEventListener("mouseenter", function () { at = j; });
    });
    return function (e) {
      if (e.key === "j") { select(at + 1); return true; }
      if (e.key === "k") { select(at - 1); return true; }
      if ((e.key === "Enter" || e.key === "o") && at >= 0) { window.location = rows[at].dataset.href; return true; }
      if (e.key === "n") {
        var next = document.getElementById("next-item");
        if (next) { window.location = next.href; return true; }
      }
      if (e.key === "/") {
        var first = document.querySelector("#filters input, #filters select");
        if (first) { first.focus(); return true; }
      }
      return false;
    };
  }

  function itemPage() {
    var form = document.getElementById("review-form");
    var boxes = Array.prototype.slice.call(document.querySelectorAll("#codes input[type=checkbox]"));
    var marks = Array.prototype.slice.call(document.querySelectorAll("mark.hl"));

    // Pointing at a code shows only the phrases behind that code.
    Array.prototype.forEach.call(document.querySelectorAll("#codes li[data-code]"), function (li) {
      li.addEventListener("mouseenter", function () {
        document.body.classList.add("focus-code");
        marks.forEach(function (m) {
          m.classList.toggle("on", (" " + m.dataset.codes + " ").indexOf(" " + li.dataset.code + " ") >= 0);
        });
      });
      li.addEventListener("mouseleave", function () { document.body.classList.remove("focus-code"); });
    });

    function setAction(value) {
      var radio = form && form.querySelector("input[name=action][value=" + value + "]");
      if (radio && !radio.disabled) { radio.checked = true; return true; }
      return false;
    }
    function focus(id) {
      var el = document.getElementById(id);
      if (el && !el.disabled) { el.focus(); return true; }
      return false;
    }
    function submitReview(action) {
      if (form && setAction(action)) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        return true;
      }
      return false;
    }

    return function (e) {
      if (/^[1-9]$/.test(e.key)) {
        var box = boxes[parseInt(e.key, 10) - 1];
        if (box && !box.disabled) { box.checked = !box.checked; return true; }
        return false;
      }
      switch (e.key) {
        case "a": return submitReview("none");
        case "e": return focus("extra_codes");
        case "t": return focus("track");
        case "f": return setAction("forward") && focus("forwarded_to");
        case "x": return setAction("close") && focus("outcome");
        case "d": {
          var radios = Array.prototype.slice.call(document.querySelectorAll("input[name=duplicate]"));
          if (!radios.length || radios[0].disabled) { return false; }
          var i = radios.findIndex(function (r) { return r.checked; });
          radios[(i + 1) % radios.length].checked = true;
          return true;
        }
        case "n": {
          var skip = document.getElementById("release-form");
          if (skip) { skip.submit(); return true; }
          var next = document.getElementById("next-item");
          if (next) { window.location = next.href; return true; }
          return false;
        }
        case "u": {
          var back = document.getElementById("back");
          if (back) { window.location = back.href; return true; }
          return false;
        }
      }
      return false;
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.dataset.page;
    var handler = page === "queue" ? queuePage() : page === "item" ? itemPage() : null;
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key === "Escape") {
        if (document.activeElement) { document.activeElement.blur(); }
        var help = document.getElementById("help");
        if (help) { help.hidden = true; }
        return;
      }
      if (typing(document.activeElement)) { return; }
      if (e.key === "?") { toggleHelp(); e.preventDefault(); return; }
      if (handler && handler(e)) { e.preventDefault(); }
    });
  });
})();
