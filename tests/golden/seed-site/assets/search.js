// digest search page: runs Pagefind's static index in the browser, no server code.
// Pagefind is loaded from ../pagefind/ next to this file, so the site works under
// any sub-path; Pagefind derives the base of result URLs from that location.
//
// What Pagefind matches: each query word is stemmed and matches every indexed word
// that begins with that stem (so "prigoz" finds "Prigozhin"); a word that begins no
// indexed word is cut back to the longest indexed word it begins with ("zebra" ->
// "z", found in "Jay Z"), and a word matching nothing at all is dropped from the
// query. So before searching, each word is checked: it counts as found when a quoted
// (exact) search for it has results, or when the first page Pagefind gives for it
// has a hit word beginning with it; otherwise the search says nothing was found
// rather than showing pages for another word.
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const needs = document.getElementById("search-needs");
const bundle = new URL("../pagefind/pagefind.js", import.meta.url).href;
const PAGE_SIZE = 20; // results shown at once (data-page-size on the list overrides)

// The script runs, so JavaScript works: the "needs JavaScript" note goes, and
// comes back if the index cannot be loaded (a page opened from disk).
needs.hidden = true;

let pagefind = null;
let latest = 0;
let pending = []; // results of the current query not shown yet
let currentQuery = "";
let total = 0;

// Messages in the site's language: search.html carries them, from the catalogs, as
// data-msg-* attributes of the status line; "{name}" marks a value. English when absent.
function msg(key, english, values = {}) {
  const text = status.dataset["msg" + key] || english;
  return text.replace(/\{(\w+)\}/g, (mark, name) => (name in values ? String(values[name]) : mark));
}

// A message about a count n: the page's language says whether n takes the form for
// one (data-msg-KEY-one) or the other (data-msg-KEY-other); english = [one, other].
function counted(key, n, english, values) {
  const one = new Intl.PluralRules(document.documentElement.lang || "en").select(n) === "one";
  return msg(key + (one ? "One" : "Other"), english[n === 1 ? 0 : 1], { ...values, n });
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

// A word as Pagefind compares it: lower case, no diacritics, no punctuation.
function normal(word) {
  return word
    .toLocaleLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\p{L}\p{N}]/gu, "");
}

// The words of a page at the places Pagefind marked as hits, each also in its
// parts ("Jay-Z" -> "jayz", "jay", "z").
function hitWords(data) {
  const content = data.raw_content || data.content || "";
  const words = content.includes("\u200B") ? content.split("\u200B") : content.split(/[\r\n\s]+/g);
  const out = [];
  for (const at of data.locations || []) {
    const word = words[at] || "";
    out.push(normal(word), ...word.split(/[^\p{L}\p{N}]+/u).map(normal));
  }
  return out.filter((w) => w);
}

// The first query word that no indexed word begins with (nor matches by its
// stem), or null when every word is found.
async function absentWord(pf, query) {
  if (/^\s*".+"\s*$/.test(query)) return null; // quoted: Pagefind matches exactly
  // Chinese, Japanese and Thai are not written with spaces between words: Pagefind
  // segments them itself, and a check by spaces would misjudge them.
  if (/^(zh|ja|th)\b/i.test(document.documentElement.lang)) return null;
  for (const raw of query.split(/\s+/)) {
    const word = normal(raw);
    if (!word) continue;
    const exact = await pf.search(`"${word}"`);
    if (exact.results.length) continue;
    const loose = await pf.search(word);
    if (!loose.results.length) return raw;
    const first = await loose.results[0].data();
    if (!hitWords(first).some((hit) => hit.startsWith(word))) return raw;
  }
  return null;
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
  if (href === null) return null;
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
  return link;
}

function describe() {
  const shown = list.children.length;
  const values = { words: currentQuery, shown };
  if (shown < total) {
    const english = ["{n} result for “{words}”, {shown} shown.", "{n} results for “{words}”, {shown} shown."];
    return counted("Shown", total, english, values);
  }
  return counted("", total, ["{n} result for “{words}”.", "{n} results for “{words}”."], values);
}

// The next page of results of the current query -> the list; the first new
// link when asked (focus moves there after "More results").
async function showMore(ticket, focus) {
  const size = Number(list.dataset.pageSize) || PAGE_SIZE;
  const batch = pending.splice(0, size);
  const found = await Promise.all(batch.map((r) => r.data()));
  if (ticket !== latest) return;
  const links = found.map(showResult).filter((link) => link !== null);
  status.textContent = describe();
  more.hidden = pending.length === 0;
  more.textContent = counted("More", pending.length, ["More results ({n} more)", "More results ({n} more)"], {});
  if (focus && links.length) links[0].focus();
}

async function run(query) {
  const ticket = ++latest;
  const words = query.trim();
  list.replaceChildren();
  pending = [];
  more.hidden = true;
  if (!words) {
    status.textContent = "";
    return;
  }
  status.textContent = msg("Searching", "Searching…");
  let search;
  let absent;
  try {
    const pf = await engine();
    absent = await absentWord(pf, words);
    search = absent === null ? await pf.search(words) : null;
  } catch (error) {
    if (ticket !== latest) return;
    status.textContent = msg(
      "Unavailable",
      "Search could not load. It needs the site to be served over http(s), not opened from disk.",
    );
    needs.hidden = false;
    console.warn("digest search:", error);
    return;
  }
  if (ticket !== latest) return; // a newer query has started
  currentQuery = words;
  if (search === null || search.results.length === 0) {
    status.textContent =
      absent === null
        ? msg("None", "Nothing found for “{words}”.", { words })
        : msg("Absent", "Nothing found for “{words}”: no page has a word beginning “{word}”.", {
            words,
            word: absent,
          });
    return;
  }
  pending = search.results.slice();
  total = pending.length;
  await showMore(ticket, false);
}

function fromAddress() {
  return new URLSearchParams(window.location.search).get("q") || "";
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set("q", input.value);
  window.history.replaceState(null, "", url);
  // the search typing scheduled would run again after this one and clear its results
  window.clearTimeout(timer);
  run(input.value);
});

more.addEventListener("click", () => showMore(latest, true));

let timer = 0;
input.addEventListener("input", () => {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => run(input.value), 200);
});

input.value = fromAddress();
if (input.value) run(input.value);
