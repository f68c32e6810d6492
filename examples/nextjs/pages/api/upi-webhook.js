// POST /api/upi-webhook: signed events from UPI Checkout. Register it with
//   flask --app app webhooks add https://shop.example.com/api/upi-webhook
// and put the printed whsec_… into UPI_WEBHOOK_SECRET.
import { verifyWebhook } from '../../lib/upi';

// The signature covers the exact bytes: turn Next's JSON body parser off and read them raw.
export const config = { api: { bodyParser: false } };

const seenEvents = new Set(); // use a unique index in your database instead

async function rawBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

export default async function handler(req, res) {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    res.status(405).end();
    return;
  }
  let event;
  try {
    event = verifyWebhook(await rawBody(req), req.headers['x-upi-signature']);
  } catch (err) {
    console.warn('webhook refused:', err.message);
    res.status(400).json({ error: 'invalid signature' });
    return;
  }
  if (seenEvents.has(event.id)) {
    res.status(200).json({ received: true, duplicate: true });
    return;
  }
  if (event.type === 'checkout.completed') {
    const { orderId, amount, late } = event.data;
    // Mark the order paid in your database (once): this is where you fulfil.
    console.log(`order ${orderId} paid: ₹${amount}${late ? ' (late)' : ''} (event ${event.id})`);
  }
  seenEvents.add(event.id);
  res.status(200).json({ received: true }); // any non-2xx makes the gateway retry
}
