import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import {
  isCanonicalDate,
  isCanonicalTime,
  normaliseClickDateTime,
  normaliseDate,
  normaliseTime,
  suggestDate,
  suggestTime,
  trimXmlSpace,
} from '../../src/tracker/dateTime';

describe('dateTime: dates', () => {
  const dmy: [string, string][] = [
    ['2026-03-14', '2026-03-14'],
    ['2026-3-4', '2026-03-04'],
    ['  2026-03-14\n', '2026-03-14'],
    ['14/03/2026', '2026-03-14'],
    ['14-03-2026', '2026-03-14'],
    ['14.03.2026', '2026-03-14'],
    ['4/3/2026', '2026-03-04'],
    ['03/04/2026', '2026-04-03'],
    ['2026/03/14', '2026-03-14'],
    ['2026-03-14T09:26:53.5+01:00', '2026-03-14'],
    ['2026-03-14T23:59:59-12:00', '2026-03-14'],
    ['2026-03-14T09:26:53Z', '2026-03-14'],
    ['2026-03-14 09:26', '2026-03-14'],
    ['14/03/2026 09:26:53', '2026-03-14'],
    ['29/02/2028', '2028-02-29'],
    ['29/02/2000', '2000-02-29'],
  ];
  for (const [text, expected] of dmy) {
    it(`reads ${JSON.stringify(text)} as ${expected} (day-month)`, () => {
      assert.equal(normaliseDate(text, 'dmy'), expected);
    });
  }

  it('reads numeric dates month first with the mdy option, ISO unchanged', () => {
    assert.equal(normaliseDate('03/04/2026', 'mdy'), '2026-03-04');
    assert.equal(normaliseDate('3.14.2026', 'mdy'), '2026-03-14');
    assert.equal(normaliseDate('2026-03-04', 'mdy'), '2026-03-04');
    assert.equal(normaliseDate('14/03/2026', 'mdy'), undefined);
  });

  const impossible = [
    '31/02/2026',
    '29/02/2026',
    '29/02/1900',
    '2026-13-01',
    '2026-00-10',
    '00/01/2026',
    '32/01/2026',
    '31/04/2026',
    '14/03/26',
    '14/03-2026',
    'March 14, 2026',
    '',
    '2026-03-14T25:00:00',
    'yesterday',
  ];
  for (const text of impossible) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(normaliseDate(text, 'dmy'), undefined);
    });
  }
});

describe('dateTime: times', () => {
  const times: [string, string, number][] = [
    ['09:26', '09:26:00', 0],
    ['9:26', '09:26:00', 0],
    ['09:26:53', '09:26:53', 0],
    ['09:26:53.4999', '09:26:53', 0],
    ['09:26:53.5', '09:26:54', 0],
    ['09:26:53,5', '09:26:54', 0],
    ['09:26:59.5', '09:27:00', 0],
    ['09:59:59.5', '10:00:00', 0],
    ['23:59:59.5', '00:00:00', 1],
    ['23:59:59.4', '23:59:59', 0],
    ['9:26 AM', '09:26:00', 0],
    ['9:26:53 pm', '21:26:53', 0],
    ['12:00 AM', '00:00:00', 0],
    ['12:00:01 PM', '12:00:01', 0],
    ['11:59:59.5 PM', '00:00:00', 1],
    ['9:26 a.m.', '09:26:00', 0],
    ['PT9H26M53S', '09:26:53', 0],
    ['PT9H26M53.6S', '09:26:54', 0],
    ['PT23H59M59.5S', '00:00:00', 1],
    ['PT45M', '00:45:00', 0],
    ['PT0S', '00:00:00', 0],
    ['P0DT9H', '09:00:00', 0],
    ['2026-03-14T09:26:53.5+01:00', '09:26:54', 0],
  ];
  for (const [text, time, carryDays] of times) {
    it(`reads ${JSON.stringify(text)} as ${time}${carryDays ? ' the next day' : ''}`, () => {
      assert.deepEqual(normaliseTime(text), { time, carryDays });
    });
  }

  const bad = [
    '24:00',
    '25:61',
    '09:60',
    '09:26:60',
    '13:00 PM',
    '0:30 AM',
    'PT24H',
    'PT',
    'P1DT2H',
    '9',
    '9.26',
    'noon',
    '',
  ];
  for (const text of bad) {
    it(`refuses the time ${JSON.stringify(text)}`, () => {
      assert.equal(normaliseTime(text), undefined);
    });
  }
});

describe('dateTime: a click date and time together', () => {
  it('carries rounding into the date, month and year', () => {
    const cases: [string, string, string][] = [
      ['2026-12-31', '23:59:59.5', '2027-01-01 00:00:00'],
      ['31/01/2026', '23:59:59.5', '2026-02-01 00:00:00'],
      ['2028-02-28', 'PT23H59M59.9S', '2028-02-29 00:00:00'],
      ['2026-02-28', '11:59:59.5 PM', '2026-03-01 00:00:00'],
      ['2026-03-14T23:59:59.5+01:00', '', '2026-03-15 00:00:00'],
    ];
    for (const [date, time, expected] of cases) {
      const result = normaliseClickDateTime(date, time, 'dmy');
      assert.ok(result.ok, `${date} ${time}`);
      assert.equal(`${result.value.date} ${result.value.time}`, expected);
    }
  });

  it('refuses a click that rounds past 9999-12-31 23:59:59 instead of carrying into year 10000', () => {
    const cases: [string, string | undefined][] = [
      ['9999-12-31T23:59:59.9999999', undefined],
      ['31/12/9999', '23:59:59.5'],
    ];
    for (const [date, time] of cases) {
      const result = normaliseClickDateTime(date, time, 'dmy');
      assert.equal(result.ok, false, `${date} ${time}`);
      assert.ok(
        !result.ok && result.field === 'date' && /9999-12-31 23:59:59/.test(result.message),
      );
    }
    const last = normaliseClickDateTime('9999-12-31', '23:59:59.4', 'dmy');
    assert.deepEqual(last, { ok: true, value: { date: '9999-12-31', time: '23:59:59' } });
  });

  it('keeps the wall-clock time of .NET DateTime text, never shifting zones', () => {
    const result = normaliseClickDateTime('2026-03-14T00:00:00-05:00', 'PT9H26M53S', 'dmy');
    assert.deepEqual(result, { ok: true, value: { date: '2026-03-14', time: '09:26:53' } });
  });

  it('takes the time from DateTime text only when there is no time field', () => {
    const both = normaliseClickDateTime('2026-03-14T08:00:00', '09:26:53', 'dmy');
    assert.ok(both.ok && both.value.time === '09:26:53');
    const dateOnly = normaliseClickDateTime('2026-03-14T08:00:00', undefined, 'dmy');
    assert.ok(dateOnly.ok && dateOnly.value.time === '08:00:00');
  });

  it('says which field is wrong and why', () => {
    assert.deepEqual(normaliseClickDateTime('31/02/2026', '09:00', 'dmy'), {
      ok: false,
      field: 'date',
      message: '"31/02/2026" is not a valid date',
    });
    assert.deepEqual(normaliseClickDateTime('2026-03-14', '25:00', 'dmy'), {
      ok: false,
      field: 'time',
      message: '"25:00" is not a valid time of day',
    });
    assert.deepEqual(normaliseClickDateTime('2026-03-14', undefined, 'dmy'), {
      ok: false,
      field: 'time',
      message: 'the time is missing',
    });
    const order = normaliseClickDateTime('03/14/2026', '09:00', 'dmy');
    assert.ok(!order.ok && order.message.includes('day-month order'));
  });

  it('gives the canonical form back unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z') }),
        (d) => {
          fc.pre(!Number.isNaN(d.getTime()));
          const [date, time] = d.toISOString().slice(0, 19).split('T');
          assert.deepEqual(normaliseClickDateTime(date, time, 'dmy'), {
            ok: true,
            value: { date, time },
          });
          const [y, m, day] = date.split('-');
          assert.equal(normaliseDate(`${day}/${m}/${y}`, 'dmy'), date);
          assert.equal(normaliseDate(`${m}/${day}/${y}`, 'mdy'), date);
        },
      ),
    );
  });
});

describe('dateTime: suggestions for quick fixes', () => {
  it('suggests the other day/month order only when that is the one reading', () => {
    assert.equal(suggestDate('03/14/2026', 'dmy'), '2026-03-14');
    assert.equal(suggestDate('14/03/2026', 'mdy'), '2026-03-14');
    assert.equal(suggestDate('31/02/2026', 'dmy'), undefined);
    assert.equal(suggestDate('03/04/2026', 'dmy'), undefined, 'readable: nothing to fix');
  });

  it('suggests dates written with month names', () => {
    assert.equal(suggestDate('14 March 2026', 'dmy'), '2026-03-14');
    assert.equal(suggestDate('14-Mar-2026', 'mdy'), '2026-03-14');
    assert.equal(suggestDate('Mar 14, 2026', 'dmy'), '2026-03-14');
    assert.equal(suggestDate('March 1st, 2026', 'dmy'), '2026-03-01');
    assert.equal(suggestDate('30 February 2026', 'dmy'), undefined);
    assert.equal(suggestDate('14 Foo 2026', 'dmy'), undefined);
  });

  it('suggests times written with dots or h/m letters', () => {
    assert.equal(suggestTime('9.26'), '09:26:00');
    assert.equal(suggestTime('09.26.53'), '09:26:53');
    assert.equal(suggestTime('9h26'), '09:26:00');
    assert.equal(suggestTime('25.00'), undefined);
    assert.equal(suggestTime('09:26'), undefined, 'readable: nothing to fix');
  });

  it('knows the canonical forms', () => {
    assert.ok(isCanonicalDate('2026-03-14'));
    assert.ok(!isCanonicalDate('2026-02-30'));
    assert.ok(!isCanonicalDate('2026-3-14'));
    assert.ok(isCanonicalTime('09:26:53'));
    assert.ok(!isCanonicalTime('9:26:53'));
  });

  it('trims XML white space only', () => {
    assert.equal(trimXmlSpace(' \t\r\nWelcome \n'), 'Welcome');
    assert.equal(trimXmlSpace('\u00a0Welcome'), '\u00a0Welcome');
  });
});
