// What the server's reports (the retrospective, the comparison of studies) share in the page:
// shown in a shadow root, and downloaded as the file the server made.
import { $$, h } from '../dom.js';
import { t } from '../texts.js';
import { request, errorText } from '../http.js';

// A report is a whole HTML document with its own styles; it goes into a shadow root so that its
// styles and ours do not mix, and it prints as part of the page.
export function renderReport(host, html) {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  for (const el of parsed.querySelectorAll('script, iframe, object, embed')) el.remove();
  for (const el of parsed.querySelectorAll('*')) {
    for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) el.removeAttribute(a.name);
  }
  asPartOfPage(parsed);
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const styles = $$('style', parsed).map((s) => s.textContent.replace(/(^|[\s}])body(\s*[{,])/g, '$1.retro-body$2').replace(/(^|[\s}])\*(\s*\{)/g, '$1.retro-body, .retro-body *$2')).join('\n');
  const title = parsed.querySelector('h1');
  if (title && !title.id) title.id = 'report-title';
  const body = h('article', { class: 'retro-body', 'aria-labelledby': title ? title.id : null });
  body.append(...Array.from(parsed.body.childNodes).map((n) => document.importNode(n, true)));
  const style = h('style', {});
  // The page's focus ring (app.css) does not reach into a shadow root: the same one here.
  style.textContent = `${styles}\n:host { display: block; } .retro-body { max-width: none; padding: 0; margin: 0; }
:focus-visible { outline: 3px solid var(--focus, #9a5b00); outline-offset: 2px; }
[tabindex="-1"]:focus { outline: none; } [tabindex="-1"]:focus-visible { outline: 3px solid var(--focus, #9a5b00); }`;
  root.replaceChildren(style, body);
  host.classList.add('loaded');
  if (!root.__clicks) {
    root.__clicks = true;
    // Source links point at ids inside the report (#e<position>): scroll there, leave the URL alone.
    root.addEventListener('click', (ev) => {
      const a = ev.target.closest && ev.target.closest('a[href^="#"]');
      if (!a) return;
      ev.preventDefault();
      const target = root.getElementById(a.getAttribute('href').slice(1));
      if (target) {
        // The focus goes along (it would stay on the link, now scrolled out of sight).
        if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
        target.focus({ preventScroll: true });
        const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
        target.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'center' });
        target.classList.add('flash');
        setTimeout(() => target.classList.remove('flash'), 1500);
      }
    });
  }
}

// The report as one part of the view that shows it: it is a document with its own <main> and its
// own <h1>, but the page already has both. Its <main> becomes a <div> (one main landmark, at the
// top level), and its headings go one level down under the view's <h1> (aria-level, so that the
// report's own styles for h1, h2, ... still apply), never skipping a level (the comparison goes
// from h2 to h4). An empty header cell (a table's corner) becomes a plain cell. A <nav> in it
// is named, apart from the tabs.
function asPartOfPage(doc) {
  for (const m of doc.body.querySelectorAll('main')) {
    const div = doc.createElement('div');
    div.className = 'report-main';
    div.append(...Array.from(m.childNodes));
    m.replaceWith(div);
  }
  let previous = 1; // the view's own <h1>
  for (const hd of doc.body.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Math.min(Number(hd.tagName[1]) + 1, previous + 1);
    hd.setAttribute('aria-level', String(level));
    previous = level;
  }
  for (const th of doc.body.querySelectorAll('th')) {
    if (th.textContent.trim() || th.hasAttribute('aria-label')) continue;
    const td = doc.createElement('td');
    td.append(...Array.from(th.childNodes));
    th.replaceWith(td);
  }
  for (const nav of doc.body.querySelectorAll('nav:not([aria-label]):not([aria-labelledby])')) nav.setAttribute('aria-label', t('report.toc'));
}

export function clearReport(host) {
  if (host.shadowRoot) host.shadowRoot.replaceChildren();
  host.classList.remove('loaded');
  host.dataset.key = '';
}

// Saves a report the server answered (`res`) as a file called `name`; `format` is md or html.
export async function saveReport(res, name, format) {
  const blob = await res.blob();
  const typed = new Blob([blob], { type: format === 'md' ? 'text/markdown;charset=utf-8' : 'text/html;charset=utf-8' });
  const url = URL.createObjectURL(typed);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Asks the server for a report at `path` and saves it as `name`, saying in `status` that it did,
// or why it could not.
export async function downloadReport(status, path, name, format) {
  try {
    await saveReport(await request(path), name, format);
    status.textContent = t('retro.downloaded', { f: name });
  } catch (e) {
    status.textContent = errorText(e);
    status.classList.add('error');
  }
}
