/* UPI Checkout embed: open a hosted checkout in a modal iframe on a merchant's page.

   <script src="https://pay.example.com/static/js/embed.js"></script>
   <script>
     UPICheckout.open(checkoutUrl, { onResult: function (r) { console.log(r.orderId, r.status); } });
   </script>

   onResult gets {orderId, status: "completed" | "cancelled" | "expired"} from the checkout,
   or {status: "dismissed"} when the customer closes the window first (the close button,
   Escape on this page or inside the checkout). The iframe reports its height and grows to
   it; the page behind does not scroll while the window is open.

   The merchant's origin must be listed in the gateway's ALLOWED_ORIGINS. The styles are
   added as a constructed stylesheet (no inline style needed, so a strict style-src holds);
   where that is missing, as a <style> element carrying options.nonce. */
(function () {
  "use strict";

  var PREFIX = "upi-checkout";
  var DEFAULT_HEIGHT = 720;
  var CSS = [
    ".upi-checkout-overlay{position:fixed;inset:0;z-index:2147483647;display:flex;overflow-y:auto;",
    "padding:16px;box-sizing:border-box;background:rgba(0,0,0,.55);overscroll-behavior:contain}",
    ".upi-checkout-panel{position:relative;margin:auto;width:min(420px,100%);flex:none}",
    ".upi-checkout-frame{display:block;width:100%;height:" + DEFAULT_HEIGHT + "px;border:0;",
    "border-radius:12px;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.35)}",
    /* The close button sits in its own bar above the checkout, never over its content. */
    ".upi-checkout-bar{display:flex;justify-content:flex-end;padding:0 0 8px}",
    ".upi-checkout-close{width:44px;height:44px;margin:0;padding:0;display:flex;",
    "align-items:center;justify-content:center;border:2px solid #1f2937;border-radius:50%;",
    "background:#fff;color:#1f2937;font:600 26px/1 system-ui,sans-serif;cursor:pointer;",
    "box-shadow:0 2px 8px rgba(0,0,0,.4)}",
    ".upi-checkout-close:hover{background:#e5e7eb}",
    ".upi-checkout-close:focus{outline:none}",
    ".upi-checkout-close:focus-visible{outline:3px solid #fbbf24;outline-offset:2px}",
    "@media (max-width:460px){.upi-checkout-overlay{padding:8px 0 0}",
    ".upi-checkout-panel{width:100%}.upi-checkout-frame{border-radius:0}",
    ".upi-checkout-bar{padding:0 8px 8px}}"
  ].join("");

  var styled = false;

  function addStyles(nonce) {
    if (styled) { return; }
    styled = true;
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
      return;
    } catch (e) { /* an older browser: a <style> element instead */ }
    var style = document.createElement("style");
    if (nonce) { style.setAttribute("nonce", nonce); }
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  function open(url, options) {
    options = options || {};
    addStyles(options.nonce);
    var target = new URL(url, window.location.href);
    target.searchParams.set("embed", "1");
    var title = options.title || "UPI payment";
    var reported = false;
    var closed = false;
    var before = document.activeElement;
    var root = document.documentElement;
    var kept = { html: root.style.overflow, body: document.body.style.overflow };

    var overlay = document.createElement("div");
    overlay.className = "upi-checkout-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", title);

    var panel = document.createElement("div");
    panel.className = "upi-checkout-panel";

    var frame = document.createElement("iframe");
    frame.className = "upi-checkout-frame";
    frame.src = target.toString();
    frame.title = title;

    var bar = document.createElement("div");
    bar.className = "upi-checkout-bar";

    var close = document.createElement("button");
    close.type = "button";
    close.className = "upi-checkout-close";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", options.closeLabel || "Close the payment window");

    function report(result) {
      if (reported) { return; }
      reported = true;
      if (options.onResult) { options.onResult(result); }
    }

    function finish() {
      if (closed) { return; }
      closed = true;
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("focusin", onFocus);
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      root.style.overflow = kept.html;
      document.body.style.overflow = kept.body;
      if (before && before.focus) { before.focus(); }
    }

    /* The customer closed it before any result: the merchant hears "dismissed". */
    function dismiss() {
      report({ status: "dismissed" });
      finish();
    }

    function onMessage(event) {
      // Only the gateway's own page in this very frame may speak to us.
      if (event.origin !== target.origin || event.source !== frame.contentWindow) { return; }
      var data = event.data || {};
      if (data.type === PREFIX) {
        report({ orderId: data.orderId, status: data.status });
        if (options.closeOnResult !== false) { setTimeout(finish, options.closeDelayMs || 1500); }
      } else if (data.type === PREFIX + ":height") {
        var height = Math.ceil(Number(data.height));
        if (height > 0 && height < 20000) { frame.style.height = height + "px"; }
      } else if (data.type === PREFIX + ":close") {
        dismiss();
      }
    }

    function onKey(event) { if (event.key === "Escape") { dismiss(); } }

    /* A modal keeps the keyboard: focus that leaves it (Tab past the checkout) comes back. */
    function onFocus(event) { if (!overlay.contains(event.target)) { close.focus(); } }

    close.addEventListener("click", dismiss);
    window.addEventListener("message", onMessage);
    document.addEventListener("keydown", onKey);
    document.addEventListener("focusin", onFocus);
    bar.appendChild(close);
    panel.appendChild(bar);
    panel.appendChild(frame);
    overlay.appendChild(panel);
    document.body.appendChild(overlay);
    root.style.overflow = "hidden";
    document.body.style.overflow = "hidden";
    frame.focus();
    return { close: finish };
  }

  window.UPICheckout = { open: open };
})();
