// Submits the SAML POST-binding form of the page that loads it (bindings.ts postDocument).
document.getElementById('saml-post').submit();
