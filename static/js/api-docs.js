/* /api/docs: render the OpenAPI document with the vendored Swagger UI.

   No inline script (the page's CSP allows 'self' and a nonce only): the spec URL
   comes from the container's data-spec-url attribute. */
(function () {
  "use strict";

  var container = document.getElementById("swagger-ui");
  var fallback = document.getElementById("docs-fallback");
  if (!container || typeof window.SwaggerUIBundle !== "function") {
    return; // the fallback link to the JSON document stays visible
  }
  if (fallback) {
    fallback.hidden = true;
  }
  window.ui = window.SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    domNode: container,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No third-party requests: the default validator badge calls validator.swagger.io.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    tryItOutEnabled: false,
    persistAuthorization: false
  });
})();
