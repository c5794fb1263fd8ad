// Submits oidc-provider's end-session form with logout=yes. The page includes this script only
// when the request carried a valid id_token_hint for the session's user (provider.ts).
(() => {
  const form = document.getElementById('op.logoutForm');
  const input = document.createElement('input');
  input.type = 'hidden';
  input.name = 'logout';
  input.value = 'yes';
  form.appendChild(input);
  form.submit();
})();
