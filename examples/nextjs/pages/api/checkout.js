// POST /api/checkout {productId} -> {url, orderId}: creates a hosted checkout server-side.
// The secret key stays on the server (process.env, never NEXT_PUBLIC_*); the browser only
// gets the payment page's URL and goes there: `window.location.assign(url)`.
import crypto from 'node:crypto';
import { GATEWAY, apiKey } from '../../lib/upi';

// Prices come from your catalogue, never from the browser.
const PRODUCTS = { mug: { name: 'Blue mug', amount: '499.00' } };

export default async function handler(req, res) {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    res.status(405).json({ error: 'POST only' });
    return;
  }
  const product = PRODUCTS[req.body && req.body.productId];
  if (!product) {
    res.status(400).json({ error: 'unknown productId' });
    return;
  }

  const orderId = `shop-${crypto.randomBytes(6).toString('hex')}`;
  // Save the order as "awaiting payment" in your database here.
  const shopUrl = (process.env.SHOP_URL || 'http://localhost:3000').replace(/\/+$/, '');
  try {
    const response = await fetch(`${GATEWAY}/api/v1/checkout-sessions`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${apiKey()}`,
        'Idempotency-Key': `create-${orderId}`, // a retry returns the same checkout
      },
      body: JSON.stringify({
        orderId,
        amount: product.amount,
        description: product.name,
        returnUrl: `${shopUrl}/api/upi-return`,
        cancelUrl: `${shopUrl}/api/upi-return`,
      }),
      signal: AbortSignal.timeout(15000),
    });
    const checkout = await response.json().catch(() => ({}));
    if (response.status !== 201) throw new Error(`${response.status} ${JSON.stringify(checkout)}`);
    res.status(200).json({ url: checkout.url, orderId: checkout.orderId });
  } catch (err) {
    console.error('checkout not created:', err.message);
    res.status(502).json({ error: 'payment is unavailable right now' });
  }
}
