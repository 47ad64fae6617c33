// How numbers and times read on the page. Times are the browser's local time zone, said explicitly,
// because security staff compare them with camera clocks and incident reports.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

/** @param {number} ms epoch milliseconds */
export function formatTime(ms) {
  return dateTime.format(new Date(ms));
}

/** @param {number} score compare_score 0..100 */
export function formatScore(score) {
  return Number.isFinite(score) ? score.toFixed(1) : '–';
}

/** Event timestamps are float seconds; endtimestamp and the window are milliseconds (CONTRACT.md). */
export function eventMillis(timestampSeconds) {
  return Math.round(Number(timestampSeconds) * 1000);
}

/** Value for <input type="datetime-local"> in the local time zone. */
export function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** @returns {number} epoch ms, NaN when empty or invalid; datetime-local values are local time. */
export function fromLocalInput(value) {
  return value ? new Date(value).getTime() : NaN;
}

/** "3 s", "2 min 5 s": elapsed time of a running search. */
export function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const USER_TYPES = {
  employee: 'Employee',
  visitor: 'Visitor',
  blacklist: 'Watch list',
  stranger: 'Stranger',
  vip: 'VIP',
};

export function formatUserType(type) {
  return USER_TYPES[type] ?? (type ? String(type) : 'Unknown');
}
