// The dashboard's entry module (the CSP runs no inline script): the forms, then the live task list.
// Plain ES2022 modules for evergreen browsers, no build step; the server serves them as they are.
import { setupForms } from './forms.js';
import { startTaskList } from './tasks.js';

setupForms();
startTaskList();
