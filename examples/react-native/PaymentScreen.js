// React Native screen for UPI Checkout: create a payment, open the UPI app (or show the QR
// for paying from another phone), poll the status every 3 s.
//
// An app sends no Origin header, so the gateway treats it like a server: ALLOWED_ORIGINS does
// not apply. Point API_URL at your gateway (a device cannot reach your computer's 127.0.0.1).
// On Android 11+ add <queries><intent><action android:name="android.intent.action.VIEW"/>
// <data android:scheme="upi"/></intent></queries> to AndroidManifest.xml so canOpenURL works;
// on iOS add "upi" to LSApplicationQueriesSchemes.
import { useCallback, useEffect, useState } from 'react';
import { ActivityIndicator, Button, Image, Linking, StyleSheet, Text, View } from 'react-native';

const API_URL = 'http://127.0.0.1:3001'; // your gateway, e.g. https://pay.example.com
const POLL_MS = 3000;

async function call(path, options) {
  const response = await fetch(`${API_URL}${path}`, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

const postJson = (body) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

export default function PaymentScreen({ order = { name: 'Blue mug', price: 499, email: 'john@example.com' } }) {
  const [session, setSession] = useState(null);
  const [qrCode, setQrCode] = useState(null);
  const [status, setStatus] = useState('creating');
  const [error, setError] = useState(null);

  const start = useCallback(async () => {
    setStatus('creating');
    setError(null);
    try {
      const { nonce } = await call('/api/nonce');
      const created = await call('/api/create-payment-session', postJson({
        orderId: `ORD-${Date.now()}`,
        productDetails: { name: order.name, quantity: 1 },
        deliveryDetails: {},
        email: order.email,
        basePrice: order.price,
        tax: 0,
        couponCode: '',
        nonce,
      }));
      const qr = await call(`/api/upi-qr?amount=${encodeURIComponent(created.amount)}` +
        `&note=${encodeURIComponent(`Order ${created.orderId}`)}`);
      setSession(created);
      setQrCode(qr.qrCode);
      setStatus(created.status);
    } catch (err) {
      setError(err.message);
      setStatus('error');
    }
  }, [order.name, order.price, order.email]);

  useEffect(() => { start(); }, [start]);

  // Poll while pending; the cleanup stops it when the screen goes away.
  const orderId = session && session.orderId;
  useEffect(() => {
    if (!orderId || status !== 'pending') return undefined;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const answer = await call(`/api/payment-status/${encodeURIComponent(orderId)}`);
        if (!stopped && answer.status !== 'pending') setStatus(answer.status);
      } catch {
        // not news about the payment: try again next time
      }
    }, POLL_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [orderId, status]);

  const openUpiApp = async () => {
    // upi://pay?pa=…&am=<exact amount>&tr=<orderId>: GPay, PhonePe, Paytm, BHIM… offer to pay it.
    if (await Linking.canOpenURL(session.upiString)) await Linking.openURL(session.upiString);
    else setError('No UPI app found on this phone: scan the QR from another one.');
  };

  const cancel = async () => {
    try {
      const answer = await call('/api/payment-cancel', postJson({ orderId }));
      setStatus(answer.status);
    } catch (err) {
      setError(err.message); // 409: it was paid meanwhile; polling shows it
    }
  };

  if (status === 'creating') return <View style={styles.box}><ActivityIndicator /></View>;
  if (status === 'completed') {
    return <View style={styles.box}><Text style={styles.ok}>Payment received — thank you!</Text></View>;
  }
  if (status !== 'pending') {
    return (
      <View style={styles.box}>
        <Text style={styles.bad}>{error ? `Could not start the payment: ${error}` : `Payment ${status}.`}</Text>
        <Button title="Try again" onPress={start} />
      </View>
    );
  }
  return (
    <View style={styles.box}>
      <Text style={styles.title}>Pay exactly ₹{Number(session.amount).toFixed(2)}</Text>
      <Button title="Pay with UPI app" onPress={openUpiApp} />
      <Text style={styles.hint}>or scan from another phone:</Text>
      {qrCode && <Image source={{ uri: qrCode }} style={styles.qr} accessibilityLabel="UPI QR code" />}
      <Text>Waiting for your payment…</Text>
      {error && <Text style={styles.bad}>{error}</Text>}
      <Button title="Cancel" onPress={cancel} />
    </View>
  );
}

const styles = StyleSheet.create({
  box: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: 24, gap: 12 },
  title: { fontSize: 22, fontWeight: '600' },
  hint: { color: '#555' },
  qr: { width: 260, height: 260 },
  ok: { fontSize: 20, color: '#0a6b2b' },
  bad: { fontSize: 16, color: '#a40000' },
});
