/**
 * The files a user hands a browser page, from a drag-and-drop or a file or folder picker, dropped
 * folders included: a DICOM series usually arrives as a folder (often nested: patient / study /
 * series), which `DataTransfer.files` lists as one useless entry. Folders are walked with the File
 * and Directory Entries API (`webkitGetAsEntry`), in every current browser.
 */
import { TvunetError } from '../errors.js';

/** The parts of the Entries API used here (FileSystemFileEntry / FileSystemDirectoryEntry). */
interface Entry {
  readonly name: string;
  readonly fullPath: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}
interface FileEntry extends Entry {
  file(success: (file: File) => void, failure?: (e: unknown) => void): void;
}
interface DirectoryEntry extends Entry {
  createReader(): { readEntries(success: (entries: Entry[]) => void, failure?: (e: unknown) => void): void };
}

/** A drop's DataTransfer (or anything with its `items` and `files`). */
export interface DroppedItems {
  readonly items: ArrayLike<{ kind: string; webkitGetAsEntry?(): unknown }> | null;
  readonly files?: ArrayLike<File> | null;
}

export interface ListInputFilesOptions {
  /** Refuse drops of more files than this (default 20,000: a thin-slice CT series has about 1,000). */
  maxFiles?: number;
}

const DEFAULT_MAX_FILES = 20_000;

const readEntries = (dir: DirectoryEntry): Promise<Entry[]> => {
  const reader = dir.createReader();
  const all: Entry[] = [];
  // readEntries hands out a batch at a time (Chromium: 100) and an empty batch at the end.
  return new Promise((resolve, reject) => {
    const next = () => reader.readEntries((batch) => {
      if (batch.length === 0) return resolve(all);
      all.push(...batch);
      next();
    }, reject);
    next();
  });
};

const fileOf = (entry: FileEntry): Promise<File> => new Promise((resolve, reject) => entry.file(resolve, reject));

const hidden = (name: string) => name.startsWith('.');
const tooMany = (maxFiles: number) => new TvunetError('INVALID_INPUT', `more than ${maxFiles} files were given; give one series`);

/**
 * The files of a drop (`event.dataTransfer`) or of a file input (`input.files`, also a folder
 * picker with `webkitdirectory`), folders walked to any depth, in path order (so that slices named
 * 1.png, 2.png… 10.png stay in order). Hidden files (names starting with '.', e.g. .DS_Store) are
 * left out; DICOMDIR and other files without pixels are skipped later by `readDicomSeries`.
 *
 * For a drop, call it synchronously in the 'drop' handler: the browser empties `dataTransfer` once
 * the event returns (the folder entries taken from it stay readable afterwards).
 * Rejects with TvunetError 'INVALID_INPUT' when no file is left or there are over `maxFiles`.
 */
export function listInputFiles(source: DroppedItems | ArrayLike<File>, options: ListInputFilesOptions = {}): Promise<File[]> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  // Everything is taken from a DataTransfer now, before the first await.
  const entries: Entry[] = [];
  let plainFiles: File[] = [];
  if ('items' in source && source.items) {
    for (const item of Array.from(source.items)) {
      if (item.kind !== 'file') continue;
      const entry = item.webkitGetAsEntry?.() as Entry | null | undefined;
      if (entry) entries.push(entry);
    }
    if (entries.length === 0) plainFiles = Array.from((source as DroppedItems).files ?? []);
  } else {
    plainFiles = Array.from(source as ArrayLike<File>);
  }
  return (async () => {
    const found: { path: string; file: File }[] = plainFiles
      .filter((file) => !hidden(file.name))
      .map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    if (found.length > maxFiles) throw tooMany(maxFiles);
    const walk = async (entry: Entry): Promise<void> => {
      if (hidden(entry.name)) return;
      if (entry.isFile) {
        if (found.length >= maxFiles) throw tooMany(maxFiles);
        found.push({ path: entry.fullPath, file: await fileOf(entry as FileEntry) });
      } else if (entry.isDirectory) {
        for (const child of await readEntries(entry as DirectoryEntry)) await walk(child);
      }
    };
    for (const entry of entries) await walk(entry);
    if (found.length === 0) throw new TvunetError('INVALID_INPUT', 'no files were given (empty folders and hidden files are left out)');
    found.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
    return found.map((f) => f.file);
  })();
}
