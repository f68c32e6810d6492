/* The success page's "Download receipt": the browser's print dialog, whose "Save as PDF"
   makes the file (app.css prints the receipt alone). The button is hidden in the HTML and
   shown only here, so a page without JavaScript never offers a button that does nothing. */
(function () {
  "use strict";

  function showPrintButtons(root) {
    if (typeof window.print !== "function") { return; }
    (root || document).querySelectorAll("[data-print-receipt]").forEach(function (btn) { btn.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-print-receipt]");
    if (btn) { window.print(); }
  });
  // The receipt arrives by an htmx swap when the payment lands while the page is open.
  document.addEventListener("htmx:afterSettle", function () { showPrintButtons(document); });
  showPrintButtons(document);
})();
