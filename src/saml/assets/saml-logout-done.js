// In the logout page's frame or window, after an SP's LogoutResponse reached Adieu
// (saml/endpoints/slo.ts): tells the page, which only counts such a message from Adieu's own origin.
const result = document.getElementById('saml-logout-result');
const page = window.parent !== window ? window.parent : window.opener;
if (result && page) page.postMessage({ type: 'adieu:logout', status: result.dataset.status }, location.origin);
