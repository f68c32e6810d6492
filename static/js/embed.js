/* UPI Checkout embed: open a hosted checkout in a modal iframe on a merchant's page.

   <script src="https://pay.example.com/static/js/embed.js"></script>
   <script>
     UPICheckout.open(checkoutUrl, { onResult: function (r) { console.log(r.orderId, r.status); } });
   </script>

   The merchant's origin must be listed in the gateway's ALLOWED_ORIGINS. */
(function () {
  "use strict";

  function open(url, options) {
    options = options || {};
    var target = new URL(url, window.location.href);
    target.searchParams.set("embed", "1");

    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", options.title || "UPI payment");
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.55);display:flex;" +
      "align-items:center;justify-content:center;z-index:2147483647";

    var frame = document.createElement("iframe");
    frame.src = target.toString();
    frame.title = options.title || "UPI payment";
    frame.style.cssText = "width:min(420px,100vw);height:min(720px,100vh);border:0;border-radius:12px;background:#fff";

    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close";
    close.setAttribute("aria-label", "Close the payment window");
    close.style.cssText = "position:absolute;top:12px;right:12px;min-height:44px;padding:8px 14px;font:inherit";

    function finish() {
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
    }

    function onMessage(event) {
      if (event.origin !== target.origin || event.source !== frame.contentWindow) { return; }
      var data = event.data || {};
      if (data.type !== "upi-checkout") { return; }
      if (options.onResult) { options.onResult({ orderId: data.orderId, status: data.status }); }
      if (options.closeOnResult !== false) { setTimeout(finish, options.closeDelayMs || 1500); }
    }

    function onKey(event) { if (event.key === "Escape") { finish(); } }

    close.addEventListener("click", finish);
    window.addEventListener("message", onMessage);
    document.addEventListener("keydown", onKey);
    overlay.appendChild(frame);
    overlay.appendChild(close);
    document.body.appendChild(overlay);
    frame.focus();
    return { close: finish };
  }

  window.UPICheckout = { open: open };
})();
