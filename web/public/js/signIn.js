// People sign in where the deployment says so (config.js: signIn, the cloud console): Cognito's hosted
// page, authorization code with PKCE, no client secret. The ID token is kept in sessionStorage (this tab
// only, never on disk by the page) and sent as Authorization; the console API's authorizer checks it and
// the service checks the person's groups per route. Without signIn (the local server) nothing happens.

const config = /** @type {{ signIn?: { url: string, clientId: string } }} */ (globalThis.SOPHON_CONFIG ?? {});
export const signIn = config.signIn ?? null;

const TOKEN = 'sophon.idToken';
const PENDING = 'sophon.signIn';
const redirectUri = () => `${location.origin}/`;

/** The signed-in person's ID token, or '' when there is none or it has expired. */
export function idToken() {
  let token;
  try {
    token = sessionStorage.getItem(TOKEN) ?? '';
  } catch {
    return '';
  }
  const exp = expiryOf(token);
  return exp && exp * 1000 > Date.now() + 30_000 ? token : '';
}

/** The token's `exp` (epoch seconds), read without trusting it: the API checks the signature. */
function expiryOf(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp : 0;
  } catch {
    return 0;
  }
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** Sends the person to the hosted sign-in page; they come back to this page with a code. */
export async function startSignIn() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: signIn.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  });
  location.assign(`${signIn.url}/oauth2/authorize?${q}`);
}

/** Forgets the token and ends the hosted session too. */
export function signOut() {
  sessionStorage.removeItem(TOKEN);
  const q = new URLSearchParams({ client_id: signIn.clientId, logout_uri: redirectUri() });
  location.assign(`${signIn.url}/logout?${q}`);
}

/** Exchanges the code the hosted page sent back (checked against our state) for the ID token. */
async function completeSignIn(code, state) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', location.pathname);
  if (!pending || pending.state !== state) return;
  const res = await fetch(`${signIn.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: signIn.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) return;
  const tokens = await res.json();
  if (typeof tokens.id_token === 'string') sessionStorage.setItem(TOKEN, tokens.id_token);
}

/** On page load: finish a sign-in in progress, or start one when there is no valid token. */
export async function ensureSignedIn() {
  if (!signIn) return;
  const q = new URLSearchParams(location.search);
  const code = q.get('code');
  if (code) await completeSignIn(code, q.get('state') ?? '');
  if (!idToken()) await startSignIn();
}
