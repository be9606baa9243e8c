// The four forms as one: their lists and length limits are filled from the catalog together,
// and they are wired once. Makelaars get the note form; researchers get all four.
import { S } from '../state.js';
import { applyLimits } from './fields.js';
import { fillNoteLists, wireNoteForm } from './note.js';
import { fillReflectionLists, wireReflectionForm } from './reflection.js';
import { fillMethodLists, wireMethodForm } from './method.js';
import { fillRoleChangeLists, wireRoleChangeForm } from './rolechange.js';

export { openNoteForm, renderRecent, noteLine } from './note.js';
export { openReflectionForm } from './reflection.js';
export { openMethodForm } from './method.js';
export { openRoleChangeForm } from './rolechange.js';

export function fillFormLists() {
  applyLimits();
  fillNoteLists();
  if (S.me && S.me.role === 'researcher') {
    fillReflectionLists();
    fillMethodLists();
    fillRoleChangeLists();
  }
}

export function wireForms() {
  wireNoteForm();
  wireReflectionForm();
  wireMethodForm();
  wireRoleChangeForm();
}
