// The field app's service worker: keeps the app's own files (page, script, style, icon,
// manifest) so that it opens without a network. It never stores API answers: the work lists
// live in IndexedDB, owned by the page, which deletes them on expiry and on sign-out.
const CACHE = "fupin-field-v1";
const SHELL = [
  "/field/",
  "/field/manifest.webmanifest",
  "/assets/field.js",
  "/assets/field.css",
  "/assets/field-icon.svg",
  "/assets/field-icon-192.png",
  "/assets/field-icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// The shell: network first (so an update shows at once), the kept copy when offline.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname === "/field" ? "/field/" : url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(path, copy));
        }
        return response;
      })
      .catch(() => caches.match(path).then((kept) => kept || Response.error())),
  );
});
