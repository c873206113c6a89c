// App entry: mounts the single-page app into #app (see app.ts).
import { mountApp } from './app';

mountApp(document.getElementById('app')!);
