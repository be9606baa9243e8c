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
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const styles = $$('style', parsed).map((s) => s.textContent.replace(/(^|[\s}])body(\s*[{,])/g, '$1.retro-body$2').replace(/(^|[\s}])\*(\s*\{)/g, '$1.retro-body, .retro-body *$2')).join('\n');
  const body = h('div', { class: 'retro-body' });
  body.append(...Array.from(parsed.body.childNodes).map((n) => document.importNode(n, true)));
  const style = h('style', {});
  style.textContent = `${styles}\n:host { display: block; } .retro-body { max-width: none; padding: 0; margin: 0; }`;
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
        target.scrollIntoView({ behavior: 'smooth', block: 'center' });
        target.classList.add('flash');
        setTimeout(() => target.classList.remove('flash'), 1500);
      }
    });
  }
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
