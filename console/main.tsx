/** Entry point of the console bundle (`dist/console/app.js`). */
import { render } from 'preact';
import { App } from './App.js';

render(<App />, document.getElementById('app')!);
