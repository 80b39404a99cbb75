// The Tracked Emails page: asks the extension for pages of rows and shows them as text.
// Every value is set with textContent: nothing from the data is ever parsed as HTML.
(function () {
  'use strict';

  const vscode = acquireVsCodeApi();
  const COLUMNS = ['template', 'date', 'link', 'email'];
  const FILTER_DELAY_MS = 200;

  const saved = vscode.getState() || {};
  const state = {
    sort: COLUMNS.includes(saved.sort) ? saved.sort : 'date',
    descending: typeof saved.descending === 'boolean' ? saved.descending : true,
    filter: typeof saved.filter === 'string' ? saved.filter : '',
    offset: Number.isSafeInteger(saved.offset) && saved.offset >= 0 ? saved.offset : 0,
  };
  let latestRequest = 0;
  let filterTimer;
  let last = { total: 0, offset: 0, pageSize: 500 };

  const heading = document.getElementById('heading');
  const filter = document.getElementById('filter');
  const summary = document.getElementById('summary');
  const body = document.querySelector('#emails tbody');
  const empty = document.getElementById('empty');
  const previous = document.getElementById('previous');
  const next = document.getElementById('next');
  const sortButtons = document.querySelectorAll('th button[data-column]');

  function query() {
    latestRequest += 1;
    vscode.setState(state);
    vscode.postMessage({
      type: 'query',
      requestId: latestRequest,
      sort: state.sort,
      descending: state.descending,
      filter: state.filter,
      offset: state.offset,
    });
  }

  function isWebLink(text) {
    try {
      const url = new window.URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }

  function cell(text) {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  }

  function linkCell(link) {
    if (!isWebLink(link)) {
      return cell(link);
    }
    // A button, not an anchor: the extension decides whether the link is opened.
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = link;
    button.title = 'Open in the browser';
    button.addEventListener('click', () => vscode.postMessage({ type: 'openLink', link }));
    td.appendChild(button);
    return td;
  }

  function row(data) {
    const tr = document.createElement('tr');
    tr.appendChild(cell(data.template));
    const date = cell(data.date);
    date.className = 'date';
    tr.appendChild(date);
    tr.appendChild(linkCell(data.link));
    const email = cell(data.email);
    email.title = data.name;
    tr.appendChild(email);
    return tr;
  }

  function showSortState() {
    for (const button of sortButtons) {
      const column = button.dataset.column;
      const th = button.parentElement;
      const sorted = column === state.sort;
      th.setAttribute(
        'aria-sort',
        sorted ? (state.descending ? 'descending' : 'ascending') : 'none',
      );
    }
  }

  function showRows(message) {
    last = message;
    heading.textContent = message.heading;
    body.replaceChildren(...message.rows.map(row));
    empty.hidden = message.rows.length > 0;
    const first = message.total === 0 ? 0 : message.offset + 1;
    const lastShown = message.offset + message.rows.length;
    summary.textContent =
      message.total <= message.pageSize
        ? `${message.total} tracked email${message.total === 1 ? '' : 's'}`
        : `${first}–${lastShown} of ${message.total}`;
    previous.disabled = message.offset === 0;
    next.disabled = lastShown >= message.total;
    document.querySelector('.pager').hidden = message.total <= message.pageSize;
    showSortState();
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'rows' && message.requestId === latestRequest) {
      if (message.rows.length === 0 && message.offset > 0 && message.total > 0) {
        // The data shrank under this page: go back to the first one.
        state.offset = 0;
        query();
        return;
      }
      showRows(message);
    } else if (message.type === 'dataChanged') {
      query();
    }
  });

  for (const button of sortButtons) {
    button.addEventListener('click', () => {
      const column = button.dataset.column;
      if (column === state.sort) {
        state.descending = !state.descending;
      } else {
        state.sort = column;
        // Dates read best newest first; text columns from A.
        state.descending = column === 'date';
      }
      state.offset = 0;
      query();
    });
  }

  filter.value = state.filter;
  filter.addEventListener('input', () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => {
      state.filter = filter.value;
      state.offset = 0;
      query();
    }, FILTER_DELAY_MS);
  });

  previous.addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - last.pageSize);
    query();
  });
  next.addEventListener('click', () => {
    state.offset += last.pageSize;
    query();
  });

  showSortState();
  // The filter box takes the keyboard first: typing filters at once, Tab reaches the headers.
  filter.focus();
  window.addEventListener('focus', () => {
    if (!document.activeElement || document.activeElement === document.body) {
      filter.focus();
    }
  });
  query();
})();
