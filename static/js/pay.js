/* Pay page behaviour on top of htmx: countdown, copy button, and telling an embedding
   parent page about the result. The page works without it (plain reloads). */
(function () {
  "use strict";

  var loadedAt = Date.now();

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function updateCountdowns() {
    var elapsed = Math.floor((Date.now() - loadedAt) / 1000);
    document.querySelectorAll("[data-seconds-left]").forEach(function (el) {
      if (!el.dataset.startedAt) { el.dataset.startedAt = String(elapsed); }
      var left = Math.max(0, Number(el.dataset.secondsLeft) - (elapsed - Number(el.dataset.startedAt)));
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    });
  }

  function showCopyButtons(root) {
    if (!navigator.clipboard) { return; }
    (root || document).querySelectorAll("[data-copy]").forEach(function (btn) { btn.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-copy]");
    if (!btn) { return; }
    navigator.clipboard.writeText(btn.dataset.copy).then(function () {
      var label = btn.textContent;
      btn.textContent = btn.dataset.copied || "Copied";
      setTimeout(function () { btn.textContent = label; }, 2000);
    });
  });

  var told = false;

  function tellParent(root) {
    if (told || window.parent === window) { return; }
    var scope = root && root.querySelector ? root : document;
    var el = scope.matches && scope.matches("[data-terminal]") ? scope : scope.querySelector("[data-terminal]");
    if (!el) { return; }
    var allowed = [];
    try { allowed = JSON.parse(document.body.dataset.parentOrigins || "[]"); } catch (e) { allowed = []; }
    var message = { type: "upi-checkout", orderId: el.dataset.orderId, status: el.dataset.status };
    /* Always an explicit target origin: the parent's own when the browser tells it (and it is
       allowed), else each allowed merchant; a page from any other origin gets nothing. */
    var parentOrigin = null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      parentOrigin = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      try { parentOrigin = new URL(document.referrer).origin; } catch (e) { parentOrigin = null; }
    }
    var targets = allowed.indexOf(parentOrigin) >= 0 ? [parentOrigin] : allowed;
    targets.forEach(function (origin) { window.parent.postMessage(message, origin); });
    told = true;
  }

  function focusResult(root) {
    var heading = root && root.querySelector && root.querySelector("[data-terminal] h1[tabindex]");
    if (heading) { heading.focus(); }
  }

  document.addEventListener("htmx:load", function (event) {
    showCopyButtons(event.detail.elt);
    updateCountdowns();
    tellParent(event.detail.elt);
    if (event.detail.elt.matches && event.detail.elt.matches("[data-terminal]")) { focusResult(event.detail.elt.parentNode); }
  });

  showCopyButtons(document);
  updateCountdowns();
  tellParent(document);
  setInterval(updateCountdowns, 1000);
})();
