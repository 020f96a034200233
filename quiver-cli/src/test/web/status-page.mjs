// Drives the store's status page in headless Chromium and checks what it shows against the quiver CLI.
//
//   node status-page.mjs URL
//
// Environment: QUIVER_CLI, a JSON array: the command line of `quiver` (java, flags, class, -s SOCKET is added by
// the caller after the subcommand); SCREENSHOT, where to save the picture; CHROMIUM, the browser (/usr/bin/chromium).
//
// Steps, with the test that runs this script (StatusPageBrowserTest) over stdin/stdout: the script checks the page,
// prints "checked N", and waits for a line on stdin (the test has changed the store meanwhile) before the next check;
// "screenshot" saves the picture of the page as it is; "done" ends. Each check waits until the page, which polls the
// store every second, shows exactly what `quiver stats --json`, `quiver ls --keys --json` and `quiver streams --json`
// (streams, their readers and each reader's lag) say, or fails after 30 s with both sides printed.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline";

const url = process.argv[2];
const cli = JSON.parse(process.env.QUIVER_CLI);
const socket = process.env.QUIVER_SOCKET;
const CHECK_MILLIS = 30_000;

function quiver(...args) {
  const [command, ...rest] = cli;
  return JSON.parse(execFileSync(command, [...rest, ...args, "-s", socket, "--json"], { encoding: "utf8" }));
}

async function shown(page) {
  return page.evaluate(() => {
    const v = id => Number(document.getElementById(id).dataset.value);
    return {
      figures: {
        capacity: v("capacity"), used: v("used"), pinned: v("pinned"), evictable: v("evictable"),
        objects: v("objects"), clients: v("clients"), evictedObjects: v("evictedObjects"),
      },
      keys: [...document.querySelectorAll("#shelfTable tbody tr[data-key]")].map(r => r.dataset.key).sort(),
      streams: [...document.querySelectorAll("#streamTable tbody tr[data-stream]")].map(r => r.dataset.stream).sort(),
      readers: [...document.querySelectorAll("#readerTable tbody tr[data-reader]")]
        .map(r => `${r.dataset.stream}/${r.dataset.reader} lag ${r.cells[4].dataset.value}`).sort(),
      taken: Number(document.getElementById("updated").dataset.taken || 0),
    };
  });
}

async function check(page, step) {
  const deadline = Date.now() + CHECK_MILLIS;
  let expected, got;
  for (;;) {
    const stats = quiver("stats");
    // The store counts the stats command's own connection as a client while it runs; the page's poll does not.
    expected = {
      figures: { capacity: stats.capacity, used: stats.used, pinned: stats.pinned, evictable: stats.evictable,
        objects: stats.objects, clients: stats.clients - 1, evictedObjects: stats.evictedObjects },
      keys: quiver("ls", "--keys").map(k => k.key).sort(),
    };
    const streams = quiver("streams");
    expected.streams = streams.map(st => st.name).sort();
    expected.readers = streams.flatMap(st => st.readers.map(r => `${st.name}/${r.id} lag ${r.lagBatches}`)).sort();
    const before = Date.now();
    // A page update taken after this stats call: wait for the page's next poll.
    await page.waitForFunction(t => Number(document.getElementById("updated").dataset.taken || 0) > t, before,
      { timeout: CHECK_MILLIS });
    got = await shown(page);
    if (JSON.stringify(got.figures) === JSON.stringify(expected.figures)
        && JSON.stringify(got.keys) === JSON.stringify(expected.keys)
        && JSON.stringify(got.streams) === JSON.stringify(expected.streams)
        && JSON.stringify(got.readers) === JSON.stringify(expected.readers)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`step ${step}: the page shows ${JSON.stringify(got)} but the CLI says ${JSON.stringify(expected)}`);
    }
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  page.on("requestfailed", r => errors.push("request failed: " + r.url()));
  await page.goto(url);
  const input = createInterface({ input: process.stdin });
  let step = 0;
  await check(page, step);
  console.log(`checked ${step}`);
  for await (const line of input) {
    if (line === "done") break;
    if (line === "screenshot") {
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
      console.log("screenshot saved");
      continue;
    }
    step++;
    await check(page, step);
    console.log(`checked ${step}`);
  }
  if (errors.length > 0) {
    throw new Error("the page had errors: " + errors.join("; "));
  }
  console.log("status page: all checks passed");
} catch (e) {
  failed = true;
  console.log("FAILED: " + e.message);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
