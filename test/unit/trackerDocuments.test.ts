import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import {
  isTrackerFileName,
  TrackerDocuments,
  type DocumentIdentity,
} from '../../src/vscode/trackerDocuments';

/** A workspaceState stand-in that keeps values in a map. */
function memento(): vscode.Memento {
  const values = new Map<string, unknown>();
  return {
    keys: () => [...values.keys()],
    get: <T>(key: string, fallback?: T) => (values.has(key) ? values.get(key) : fallback) as T,
    update: async (key: string, value: unknown) => {
      values.set(key, value);
    },
  };
}

function doc(path: string, languageId = 'xml', scheme = 'file'): DocumentIdentity {
  const uri = { scheme, toString: () => `${scheme}://${path}` };
  return { uri, fileName: path, languageId };
}

describe('trackerDocuments', () => {
  it('recognises the tracker file name the server writes, spaces and case included', () => {
    assert.equal(isTrackerFileName('/data/Tracker_ABC Ltd.xml'), true);
    assert.equal(isTrackerFileName('C:\\data\\tracker_abc.XML'), true);
    assert.equal(isTrackerFileName('/data/Tracker_.xml'), false);
    assert.equal(isTrackerFileName('/data/MyTracker_ABC.xml'), false);
    assert.equal(isTrackerFileName('/data/Tracker_ABC.xml.bak'), false);
    assert.equal(isTrackerFileName('/Tracker_dir/notes.xml'), false);
  });

  it('classifies tracker files, other XML (candidates) and everything else', () => {
    const documents = new TrackerDocuments(memento());
    assert.equal(documents.classify(doc('/w/Tracker_ABC Ltd.xml', 'plaintext')), 'tracker');
    assert.equal(documents.classify(doc('/w/clicks.xml')), 'candidate');
    assert.equal(documents.classify(doc('/w/export', 'xml')), 'candidate');
    assert.equal(documents.classify(doc('/w/notes.md', 'markdown')), 'other');
  });

  it('ignores views of other versions such as git diffs', () => {
    const documents = new TrackerDocuments(memento());
    assert.equal(documents.classify(doc('/w/Tracker_ABC.xml', 'xml', 'git')), 'other');
    assert.equal(documents.classify(doc('Untitled-1', 'xml', 'untitled')), 'candidate');
  });

  it('remembers documents marked as tracker files in the workspace state', async () => {
    const state = memento();
    const marked = doc('/w/clicks-export.txt', 'plaintext');
    assert.equal(new TrackerDocuments(state).classify(marked), 'other');

    await new TrackerDocuments(state).mark(marked.uri);
    await new TrackerDocuments(state).mark(marked.uri);

    const later = new TrackerDocuments(state);
    assert.equal(later.classify(marked), 'tracker');
    assert.equal(later.isMarked(marked.uri), true);
    assert.deepEqual(state.get('linkTracking.validateAsTracker.uris'), [marked.uri.toString()]);
  });
});
