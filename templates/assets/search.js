// digest search page: runs Pagefind's static index in the browser, no server code.
// Pagefind is loaded from ../pagefind/ next to this file, so the site works under
// any sub-path; Pagefind derives the base of result URLs from that location.
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const bundle = new URL("../pagefind/pagefind.js", import.meta.url).href;
const MAX_RESULTS = 30;

let pagefind = null;
let latest = 0;

// Messages in the site's language: search.html carries them, from the catalogs, as
// data-msg-* attributes of the status line; "{name}" marks a value. English when absent.
function msg(key, english, values = {}) {
  const text = status.dataset["msg" + key] || english;
  return text.replace(/\{(\w+)\}/g, (mark, name) => (name in values ? String(values[name]) : mark));
}

function resultCount(n, words) {
  const one = new Intl.PluralRules(document.documentElement.lang || "en").select(n) === "one";
  const english = `{n} result${n === 1 ? "" : "s"} for “{words}”.`;
  return msg(one ? "One" : "Other", english, { n, words });
}

// A large digest's index comes in shards: pagefind/ lists the others in
// digest-shards.json, and each is merged into one search.
const shardList = new URL("../pagefind/digest-shards.json", import.meta.url).href;
const siteRoot = new URL("../", import.meta.url).pathname;

async function engine() {
  if (pagefind === null) {
    const loaded = await import(bundle);
    await loaded.options({ excerptLength: 30 });
    const response = await fetch(shardList);
    const shards = response.ok ? (await response.json()).shards || [] : [];
    for (const name of shards) {
      if (!/^pagefind-[0-9]+$/.test(name)) continue;
      await loaded.mergeIndex(new URL(`../${name}/`, import.meta.url).href, { baseUrl: siteRoot });
    }
    pagefind = loaded;
  }
  return pagefind;
}

// Pagefind's excerpts are HTML with <mark> around the hits. Parse them inertly
// and rebuild the nodes: text stays text, only <mark> survives as an element.
function excerptNodes(html) {
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  const out = [];
  for (const node of doc.body.firstChild.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.push(mark);
    } else {
      out.push(document.createTextNode(node.textContent));
    }
  }
  return out;
}

function plain(html) {
  return new DOMParser().parseFromString(html, "text/html").body.textContent || "";
}

function sameSite(url) {
  const resolved = new URL(url, window.location.href);
  return resolved.origin === window.location.origin ? resolved.href : null;
}

function showResult(data) {
  const href = sameSite(data.url);
  if (href === null) return;
  const item = document.createElement("li");
  const heading = document.createElement("p");
  heading.className = "result-title";
  const link = document.createElement("a");
  link.href = href;
  link.textContent = plain((data.meta && data.meta.title) || data.url);
  heading.append(link);
  if (data.meta && data.meta.kind) {
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = msg("Kind" + data.meta.kind, data.meta.kind);
    heading.append(" ", kind);
  }
  const excerpt = document.createElement("p");
  excerpt.className = "excerpt";
  excerpt.append(...excerptNodes(data.excerpt || ""));
  item.append(heading, excerpt);
  list.append(item);
}

async function run(query) {
  const ticket = ++latest;
  const words = query.trim();
  list.replaceChildren();
  if (!words) {
    status.textContent = "";
    return;
  }
  status.textContent = msg("Searching", "Searching…");
  let found;
  try {
    const pf = await engine();
    const search = await pf.search(words);
    found = await Promise.all(search.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  } catch (error) {
    if (ticket !== latest) return;
    status.textContent = msg(
      "Unavailable",
      "Search could not load. It needs the site to be served over http(s), not opened from disk.",
    );
    console.warn("digest search:", error);
    return;
  }
  if (ticket !== latest) return; // a newer query has started
  list.replaceChildren();
  found.forEach(showResult);
  const n = found.length;
  status.textContent =
    n === 0 ? msg("None", "Nothing found for “{words}”.", { words }) : resultCount(n, words);
}

function fromAddress() {
  return new URLSearchParams(window.location.search).get("q") || "";
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set("q", input.value);
  window.history.replaceState(null, "", url);
  run(input.value);
});

let timer = 0;
input.addEventListener("input", () => {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => run(input.value), 200);
});

input.value = fromAddress();
if (input.value) run(input.value);
