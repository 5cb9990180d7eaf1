// Run doiuse-email (caniemail data) over one email HTML file for Gmail, Outlook and Apple Mail.
// Prints {"errors": [...], "notes": [...]} as JSON; tests/test_email_doiuse.py compares the
// errors with accepted.json. Usage: node check.mjs email.html
import { readFileSync } from 'node:fs';
import { doIUseEmail } from 'doiuse-email';

const html = readFileSync(process.argv[2], 'utf8');
const result = doIUseEmail(html, { emailClients: ['gmail.*', 'outlook.*', 'apple-mail.*'] });
process.stdout.write(JSON.stringify({ errors: result.errors ?? [], notes: result.notes ?? [] }, null, 1));
