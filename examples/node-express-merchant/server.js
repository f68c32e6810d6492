// A tiny shop backend that takes payments through UPI Checkout (Node 20+, Express).
//
// 1. POST /buy          creates a checkout (server to server, secret key) and redirects
//                       the customer to the hosted payment page.
// 2. GET  /return       the customer comes back here; the query is signed, so we can show
//                       the right message without calling the gateway, but we only
//                       *fulfil* on the webhook.
// 3. POST /upi-webhook  signed events: verified over the raw body, de-duplicated by event
//                       id; `checkout.completed` marks the order paid.
//
// Environment: UPI_CHECKOUT_URL (e.g. http://127.0.0.1:3001), UPI_CHECKOUT_KEY (sk_…),
// UPI_WEBHOOK_SECRET (whsec_…), SHOP_URL (default http://127.0.0.1:5001), PORT (5001).
// Orders live in memory: this is an example, use your database.
'use strict';

const crypto = require('node:crypto');
const express = require('express');

const GATEWAY = (process.env.UPI_CHECKOUT_URL || 'http://127.0.0.1:3001').replace(/\/+$/, '');
const API_KEY = required('UPI_CHECKOUT_KEY');
const WEBHOOK_SECRET = required('UPI_WEBHOOK_SECRET');
const PORT = Number(process.env.PORT || 5001);
const SHOP_URL = (process.env.SHOP_URL || `http://127.0.0.1:${PORT}`).replace(/\/+$/, '');
const TOLERANCE_SECONDS = 300;

// The gateway keeps only a hash of the API key and signs redirects with a key derived
// from it; we derive the same one from the key we hold.
const SIGNING_KEY = hmacHex(API_KEY, 'upi-checkout/signing');

const PRODUCT = { name: 'Blue mug', amount: '499.00' };
const orders = new Map(); // orderId -> { item, amount, status, ... }
const seenEvents = new Set(); // webhook event ids already handled

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return value;
}

// -- signatures (copied logic; keep it in your backend) -----------------------------------

function hmacHex(key, message) {
  return crypto.createHmac('sha256', key).update(message).digest('hex');
}

function safeEqualHex(expected, given) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(given || ''), 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// X-UPI-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
function verifyWebhook(rawBody, header) {
  const parts = {};
  for (const item of String(header || '').split(',')) {
    const [name, ...rest] = item.trim().split('=');
    (parts[name] = parts[name] || []).push(rest.join('='));
  }
  const t = Number.parseInt((parts.t || [])[0], 10);
  if (!Number.isFinite(t)) throw new Error('no timestamp');
  if (Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) throw new Error('timestamp outside the tolerance');
  const expected = hmacHex(WEBHOOK_SECRET, `${t}.${rawBody.toString('utf8')}`);
  if (!(parts.v1 || []).some((given) => safeEqualHex(expected, given))) {
    throw new Error('signature does not match');
  }
  return JSON.parse(rawBody.toString('utf8'));
}

// signature = hex HMAC-SHA256(signing key, "orderId\nstatus\nt"), t within 5 minutes
function redirectIsSigned(query) {
  const field = (name) => (typeof query[name] === 'string' ? query[name] : '');
  const t = Number.parseInt(field('t'), 10);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) return false;
  const message = [field('orderId'), field('status'), field('t')].join('\n');
  return safeEqualHex(hmacHex(SIGNING_KEY, message), field('signature'));
}

// -- pages ----------------------------------------------------------------------------------

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const page = (body) => `<!doctype html><meta charset="utf-8"><title>Example shop</title>${body}`;

const app = express();

app.get('/', (req, res) => {
  res.send(page(
    `<h1>Example shop</h1><p>${PRODUCT.name}: ₹${PRODUCT.amount}</p>` +
    '<form method="post" action="/buy"><button>Buy with UPI</button></form>'
  ));
});

app.post('/buy', async (req, res) => {
  // A real shop protects this form with its own CSRF token.
  const orderId = `shop-${crypto.randomBytes(6).toString('hex')}`;
  orders.set(orderId, { item: PRODUCT.name, amount: PRODUCT.amount, status: 'new' });
  try {
    const response = await fetch(`${GATEWAY}/api/v1/checkout-sessions`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${API_KEY}`,
        // Same key + same body on a retry returns the first answer: one checkout per order.
        'Idempotency-Key': `create-${orderId}`,
      },
      body: JSON.stringify({
        orderId,
        amount: PRODUCT.amount,
        description: PRODUCT.name,
        returnUrl: `${SHOP_URL}/return`,
        cancelUrl: `${SHOP_URL}/return`,
        metadata: { shop: 'example' },
      }),
      signal: AbortSignal.timeout(15000),
    });
    const checkout = await response.json();
    if (response.status !== 201) throw new Error(`${response.status} ${JSON.stringify(checkout)}`);
    Object.assign(orders.get(orderId), { status: 'awaiting_payment', checkoutId: checkout.id });
    res.redirect(303, checkout.url);
  } catch (err) {
    console.error('checkout not created:', err.message);
    res.status(502).send(page('<h1>Payment is unavailable right now</h1>'));
  }
});

app.get('/return', (req, res) => {
  if (!redirectIsSigned(req.query)) {
    return res.status(400).send(page('<h1>We could not verify this link</h1><p>Check your orders page.</p>'));
  }
  const { orderId, status } = req.query;
  const order = orders.get(orderId);
  if (!order) return res.sendStatus(404);
  const message = status === 'completed'
    ? "Thanks! The gateway says you paid. We'll confirm your order by webhook in a moment."
    : `The payment was not completed (${escapeHtml(status)}). You can try again.`;
  res.send(page(
    `<h1>Order ${escapeHtml(orderId)}</h1><p>${message}</p>` +
    `<p>Order state here: <strong id="order-status">${escapeHtml(order.status)}</strong></p>`
  ));
});

app.get('/orders/:orderId', (req, res) => {
  const order = orders.get(req.params.orderId);
  if (!order) return res.sendStatus(404);
  res.json({ orderId: req.params.orderId, ...order });
});

// express.raw keeps the exact bytes the signature covers: never verify re-serialised JSON.
app.post('/upi-webhook', express.raw({ type: () => true, limit: '64kb' }), (req, res) => {
  let event;
  try {
    event = verifyWebhook(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('X-UPI-Signature'));
  } catch (err) {
    console.warn('webhook refused:', err.message);
    return res.status(400).json({ error: 'invalid signature' });
  }
  if (seenEvents.has(event.id)) return res.json({ received: true, duplicate: true });
  const data = event.data || {};
  const order = orders.get(data.orderId);
  if (event.type === 'checkout.completed' && order) {
    Object.assign(order, { status: 'paid', amountPaid: data.amount, late: data.late });
    console.log(`order ${data.orderId} paid (event ${event.id})`);
  } else if ((event.type === 'checkout.expired' || event.type === 'checkout.cancelled') && order) {
    // A late payment can still complete it; `checkout.completed` then follows.
    if (order.status !== 'paid') order.status = 'unpaid';
  }
  seenEvents.add(event.id);
  res.json({ received: true }); // 2xx quickly; anything else makes the gateway retry
});

app.listen(PORT, '127.0.0.1', () => console.log(`example shop on ${SHOP_URL}/`));
