/* Pay page behaviour on top of htmx: countdown, copy button, telling an embedding
   parent page about the result, a busy state on every tap, and every failed request
   said in words. The page works without it (plain reloads, the server's own pages). */
(function () {
  "use strict";

  var loadedAt = Date.now();
  var URGENT_SECONDS = 120;

  /* The customer's words come from the page (#pay-messages, drawn in their language);
     these English ones are only the fallback when a page carries none. */
  var WORDS = {
    rate_limited_one: "Too many tries. Try again in 1 second.",
    rate_limited_many: "Too many tries. Try again in {seconds} seconds.",
    rate_limited: "Too many tries. Wait a minute, then try again.",
    unavailable: "The service is busy right now. Try again in a few seconds.",
    bad_request: "That did not go through. Reload the page and try again.",
    failed: "Something went wrong on our side. Reload the page and try again; no payment was affected.",
    offline: "No connection. Check your internet connection and try again; your payment is not affected."
  };

  function loadWords() {
    var block = document.getElementById("pay-messages");
    if (!block) { return; }
    try {
      var given = JSON.parse(block.textContent || "{}");
      Object.keys(given).forEach(function (key) { WORDS[key] = given[key]; });
    } catch (e) { /* keep the English fallback */ }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // -- the countdown: outside the live region, urgent (colour and words) near the end ----

  function updateCountdowns() {
    var elapsed = Math.floor((Date.now() - loadedAt) / 1000);
    document.querySelectorAll("[data-seconds-left]").forEach(function (el) {
      if (!el.dataset.startedAt) { el.dataset.startedAt = String(elapsed); }
      var left = Math.max(0, Number(el.dataset.secondsLeft) - (elapsed - Number(el.dataset.startedAt)));
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      var urgentFrom = Number(el.dataset.urgentSeconds || URGENT_SECONDS);
      var box = el.closest(".expiry");
      if (box && left <= urgentFrom && !box.classList.contains("urgent")) {
        box.classList.add("urgent");
        box.querySelectorAll("[data-urgent-text]").forEach(function (words) { words.hidden = false; });
      }
    });
  }

  // -- copy buttons ----------------------------------------------------------------------

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

  // -- the embedding parent page ---------------------------------------------------------

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

  // -- the live region: state changes only, never the ticking countdown -------------------

  var announcer = null;
  var lastState = null;
  var lastNotes = "";

  function panelState(el) {
    if (!el || !el.dataset) { return null; }
    return (el.dataset.status || "") + (el.hasAttribute("data-confirm") ? ":confirm" : "");
  }

  function noteText(el) {
    var parts = [];
    el.querySelectorAll("[data-announce]").forEach(function (note) { parts.push(note.textContent.trim()); });
    return parts.join(" ");
  }

  function ensureAnnouncer() {
    var panel = document.getElementById("checkout");
    if (announcer || !panel) { return; }
    announcer = document.createElement("p");
    announcer.id = "pay-announce";
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    announcer.setAttribute("aria-atomic", "true");
    var live = document.getElementById("live") || panel;
    live.parentNode.insertBefore(announcer, live.nextSibling);
    lastState = panelState(panel);
    lastNotes = noteText(panel);
  }

  function announce(text) {
    if (!announcer || !text) { return; }
    announcer.textContent = "";
    // A fresh text node after a pause, so the same words said twice are said again.
    setTimeout(function () { announcer.textContent = text; }, 60);
  }

  function panelSwapped(panel, focused) {
    var state = panelState(panel);
    var notes = noteText(panel);
    if (state !== lastState && focused) {
      clearError(true);  // the focused heading says it; the live region stays quiet
    } else if (state !== lastState) {
      var heading = panel.querySelector("h1");
      announce([heading ? heading.textContent.trim() : "", notes].join(" ").trim());
      clearError(true);
    } else if (notes && notes !== lastNotes) {
      announce(notes);
    }
    lastState = state;
    lastNotes = notes;
  }

  function focusAfterSwap(panel) {
    var heading = panel.querySelector("h1[tabindex]");
    if (heading && panelState(panel) !== lastState &&
        (panel.matches("[data-terminal]") || panel.matches("[data-confirm]"))) {
      heading.focus();
      return true;
    }
    if (backFromConfirm) {
      var cancel = panel.querySelector("[data-cancel]");
      if (cancel) { cancel.focus(); }
    }
    return false;
  }

  // -- busy state: at once, on the tapped button ------------------------------------------

  var backFromConfirm = false;

  function submitterOf(elt) {
    if (!elt) { return null; }
    if (elt.tagName === "FORM") { return elt.querySelector("button[type=submit], button:not([type])"); }
    return elt.tagName === "BUTTON" || elt.tagName === "A" ? elt : null;
  }

  function setBusy(btn, busy) {
    if (!btn) { return; }
    if (busy) {
      btn.setAttribute("aria-busy", "true");
      if (btn.dataset.busyLabel) {
        if (!btn.dataset.idleLabel) { btn.dataset.idleLabel = btn.textContent; }
        btn.textContent = btn.dataset.busyLabel;
      }
    } else {
      btn.removeAttribute("aria-busy");
      if (btn.dataset.idleLabel) { btn.textContent = btn.dataset.idleLabel; }
    }
  }

  function isPoll(elt) { return !!(elt && elt.id === "checkout" && elt.hasAttribute("hx-trigger")); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (isPoll(elt)) { return; }
    backFromConfirm = !!(elt && elt.hasAttribute && elt.hasAttribute("data-back"));
    setBusy(submitterOf(elt), true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!isPoll(elt)) { setBusy(submitterOf(elt), false); }
    var said = event.detail.xhr && event.detail.xhr.__paySaid;
    if (event.detail.successful && !said && errorFrom && errorFrom === (isPoll(elt) ? "poll" : "action") && !holdError) {
      clearError(false);
    }
  });

  // -- every failed request, said in words in the panel -----------------------------------

  var errorBox = null;
  var errorFrom = null;  // "poll" or "action": a success of the same kind clears it
  var holdError = false; // a 429's words stay until its wait is over
  var holdTimer = null;

  function retryAfterSeconds(xhr) {
    var raw = xhr && xhr.getResponseHeader("Retry-After");
    if (!raw) { return null; }
    if (/^\d+$/.test(raw.trim())) { return Number(raw.trim()); }
    var when = Date.parse(raw);
    return isNaN(when) ? null : Math.max(1, Math.ceil((when - Date.now()) / 1000));
  }

  function serverWords(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (!xhr || type.indexOf("text/html") < 0 || !xhr.responseText) { return ""; }
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var found = doc.querySelector("[data-error-message]") || doc.querySelector("main .card p");
    return found ? found.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function wordsFor(xhr) {
    var status = xhr ? xhr.status : 0;
    var seconds = retryAfterSeconds(xhr);
    if (status === 429) {
      if (seconds === null) { return WORDS.rate_limited; }
      return seconds === 1 ? WORDS.rate_limited_one : WORDS.rate_limited_many.replace("{seconds}", String(seconds));
    }
    var said = serverWords(xhr);
    if (status === 503) { return said || WORDS.unavailable; }
    if (said && !/[.!?।]$/.test(said)) { said += "."; }
    if (status >= 400 && status < 500) { return said ? said + " " + WORDS.bad_request : WORDS.bad_request; }
    return WORDS.failed;
  }

  function errorAnchor(elt) {
    var live = document.getElementById("live");
    if (live) { return live; }
    var form = elt && elt.closest ? elt.closest("form") : null;
    var btn = submitterOf(form || elt);
    return btn || form || elt || document.querySelector("main");
  }

  function showError(elt, text, holdSeconds) {
    if (!errorBox || !document.body.contains(errorBox)) {
      errorBox = document.createElement("p");
      errorBox.id = "pay-error";
      errorBox.className = "error pay-error";
      errorBox.setAttribute("role", "alert");
    }
    var anchor = errorAnchor(elt);
    if (errorBox.nextSibling !== anchor) { anchor.parentNode.insertBefore(errorBox, anchor); }
    errorFrom = isPoll(elt) ? "poll" : "action";
    if (!errorBox.hidden && errorBox.textContent === text) { return; }  // said already: once
    errorBox.hidden = false;
    errorBox.textContent = "";
    setTimeout(function () { errorBox.textContent = text; }, 30);
    clearTimeout(holdTimer);
    holdError = !!holdSeconds;
    if (holdSeconds) {
      holdTimer = setTimeout(function () { holdError = false; clearError(false); }, holdSeconds * 1000);
    }
  }

  function clearError(always) {
    if (!errorBox || (holdError && !always)) { return; }
    errorBox.hidden = true;
    errorBox.textContent = "";
    errorFrom = null;
  }

  function failed(elt, xhr) {
    if (!xhr || xhr.__paySaid) { return; }
    xhr.__paySaid = true;
    showError(elt, wordsFor(xhr), xhr.status === 429 ? retryAfterSeconds(xhr) : null);
  }

  /* A 4xx/5xx answer is said here, before htmx would swap it: nothing is swapped, and
     htmx is told it was handled (it logs every unhandled responseError as a console
     error). htmx:responseError stays as the catch-all should anything else get there. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) { return; }
    failed(event.detail.elt, xhr);
    event.detail.shouldSwap = false;
    event.detail.isError = false;
  });

  document.addEventListener("htmx:responseError", function (event) {
    failed(event.detail.elt, event.detail.xhr);
  });

  function offline(event) { showError(event.detail.elt, WORDS.offline, null); }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:timeout", offline);

  // -- each new panel ---------------------------------------------------------------------

  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    showCopyButtons(elt);
    updateCountdowns();
    tellParent(elt);
    ensureAnnouncer();
    if (elt.id === "checkout") {
      panelSwapped(elt, focusAfterSwap(elt));
      backFromConfirm = false;
    }
  });

  loadWords();
  showCopyButtons(document);
  updateCountdowns();
  tellParent(document);
  ensureAnnouncer();
  setInterval(updateCountdowns, 1000);
})();
