// We never download a browser: tests and the CLI use the system Chromium
// (CHROMIUM_PATH / PUPPETEER_EXECUTABLE_PATH, then /usr/bin/chromium).
module.exports = { skipDownload: true };
