// Swagger UI for /docs, from the app's own files (no CDN: the service often runs on an intranet).
// A file rather than an inline script, so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis]
  });
})();
