/* Inside the embed iframe only (page.html loads it in embed mode): tell the merchant's
   page this page's height, on load and whenever it changes, and ask it to close on
   Escape (a key pressed in the frame never reaches the parent's own listener).

   Messages go to the parent's origin only when it is one of ALLOWED_ORIGINS
   (data-parent-origins); any other parent gets nothing. */
(function () {
  "use strict";

  if (window.parent === window) { return; }

  function parentOrigin() {
    var allowed = [];
    try { allowed = JSON.parse(document.body.dataset.parentOrigins || "[]"); } catch (e) { allowed = []; }
    var origin = null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      origin = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      try { origin = new URL(document.referrer).origin; } catch (e) { origin = null; }
    }
    return allowed.indexOf(origin) >= 0 ? origin : null;
  }

  var target = parentOrigin();
  if (!target) { return; }

  function post(message) { window.parent.postMessage(message, target); }

  var sent = 0;

  function tellHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height > 0 && height !== sent) {
      sent = height;
      post({ type: "upi-checkout:height", height: height });
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { post({ type: "upi-checkout:close" }); }
  });

  if (window.ResizeObserver) {
    new ResizeObserver(tellHeight).observe(document.documentElement);
  }
  window.addEventListener("load", tellHeight);
  document.addEventListener("htmx:afterSettle", tellHeight);  // where ResizeObserver is missing
  tellHeight();
})();
