// App entry: mounts the single-page app into #app (see app.ts).
import { mountApp } from './app';
import './style.css';

mountApp(document.getElementById('app')!);
