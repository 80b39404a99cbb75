// One click with sensible values for the tracker tests; each test overrides what it is about.
import type { ClickFields } from '../../src/tracker/trackerWriter';

export function click(overrides: Partial<ClickFields> = {}): ClickFields {
  return {
    template: 'Spring Newsletter',
    contactId: '1042',
    linkName: 'Book a review',
    date: '2026-03-14',
    time: '09:26:53',
    ...overrides,
  };
}
