// GET /api/upi-return?orderId&status&t&signature: where the payment page sends the customer.
// The query is signed, so the message can be trusted without a call; fulfilment still
// waits for the webhook.
import { redirectIsSigned } from '../../lib/upi';

export default function handler(req, res) {
  if (!redirectIsSigned(req.query)) {
    res.status(400).send('We could not verify this link.');
    return;
  }
  const { orderId, status } = req.query;
  const query = new URLSearchParams({ orderId, status });
  res.redirect(303, `/?${query}`); // the shop page shows the message
}
