// UPI Checkout from a plain web page: the seed API, no build step, no dependencies.
//
// Flow: GET /api/nonce -> POST /api/create-payment-session -> show the QR ->
//       poll GET /api/payment-status/<orderId> every 3 s -> show success.
// Variant: open the hosted checkout in a modal with the gateway's /static/js/embed.js.
//
// This page's origin must be listed in the gateway's ALLOWED_ORIGINS
// (the default is http://localhost:3000). The gateway's address comes from
// ?gateway=… in this page's URL, else the default below.
// The browser only *shows* the result: fulfil orders on your server, from the
// webhook (see ../python-flask-merchant or ../node-express-merchant).
'use strict';

const GATEWAY = (new URLSearchParams(location.search).get('gateway') || 'http://127.0.0.1:3001')
  .replace(/\/+$/, '');
const POLL_MS = 3000;
const PRICE = 499;

const $ = (id) => document.getElementById(id);
let pollTimer = null;
let current = null; // the session being paid

async function api(path, options) {
  const response = await fetch(GATEWAY + path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    // Errors are {"error": message, "details": [...]}; 429 = rate limited, 403 = origin not allowed.
    throw new Error(body.error || `HTTP ${response.status}`);
  }
  return body;
}

// Steps 1 and 2: a single-use nonce, then the session (answer: orderId, amount, url, upiString, …).
async function createSession() {
  const form = new FormData($('order'));
  const { nonce } = await api('/api/nonce');
  return api('/api/create-payment-session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      orderId: `ORD-${Date.now()}`,
      productDetails: { name: 'Blue mug', quantity: 1 },
      deliveryDetails: { name: form.get('name') },
      email: form.get('email'),
      basePrice: PRICE,
      tax: 0,
      couponCode: '',
      nonce,
    }),
  });
}

function showResult(status) {
  const done = status === 'completed';
  $('result').className = done ? 'ok' : 'bad';
  $('result').textContent = done ? 'Payment received — thank you!' : `Payment ${status}.`;
  $('payment').hidden = true;
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

// Step 4: poll until the payment is final.
function poll(orderId) {
  stopPolling();
  pollTimer = setInterval(async () => {
    try {
      const { status } = await api(`/api/payment-status/${encodeURIComponent(orderId)}`);
      $('status').textContent = status;
      if (status !== 'pending') {
        stopPolling();
        showResult(status);
      }
    } catch (err) {
      $('status').textContent = `pending (${err.message}; retrying)`;
    }
  }, POLL_MS);
}

async function payHere(event) {
  event.preventDefault();
  $('result').textContent = '';
  $('result').className = '';
  try {
    current = await createSession();
    // Step 3: the QR for the exact amount (it may carry extra paise; see the README).
    const qr = await api(`/api/upi-qr?amount=${encodeURIComponent(current.amount)}` +
      `&note=${encodeURIComponent(`Order ${current.orderId}`)}`);
    $('qr').src = qr.qrCode;
    $('amount').textContent = Number(current.amount).toFixed(2);
    $('amount-note').hidden = Number(current.amount) === PRICE;
    $('upi-link').href = current.upiString; // opens the UPI app on a phone
    $('hosted-link').href = current.url;    // or let the gateway's page do everything
    $('order-id').textContent = current.orderId;
    $('status').textContent = current.status;
    $('payment').hidden = false;
    poll(current.orderId);
  } catch (err) {
    $('result').className = 'bad';
    $('result').textContent = `Could not start the payment: ${err.message}`;
  }
}

async function cancel() {
  if (!current) return;
  try {
    const { status } = await api('/api/payment-cancel', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ orderId: current.orderId }),
    });
    stopPolling();
    showResult(status);
  } catch (err) {
    $('status').textContent = err.message; // 409: it was paid meanwhile; polling will show it
  }
}

// In your own page this is simply <script src="https://pay.example.com/static/js/embed.js">.
function loadEmbedScript() {
  if (window.UPICheckout) return Promise.resolve(window.UPICheckout);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${GATEWAY}/static/js/embed.js`;
    script.onload = () => resolve(window.UPICheckout);
    script.onerror = () => reject(new Error('embed.js did not load'));
    document.head.appendChild(script);
  });
}

async function payInModal() {
  $('result').textContent = '';
  $('result').className = '';
  stopPolling();
  $('payment').hidden = true;
  try {
    const [UPICheckout, session] = await Promise.all([loadEmbedScript(), createSession()]);
    current = session;
    UPICheckout.open(session.url, {
      onResult: (r) => showResult(r.status), // r.orderId, r.status: completed | expired | cancelled
    });
  } catch (err) {
    $('result').className = 'bad';
    $('result').textContent = `Could not start the payment: ${err.message}`;
  }
}

$('order').addEventListener('submit', payHere);
$('pay-modal').addEventListener('click', payInModal);
$('cancel').addEventListener('click', cancel);
