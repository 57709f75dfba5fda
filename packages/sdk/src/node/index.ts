export { FileJournal } from './file-journal.ts';
