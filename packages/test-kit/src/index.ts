export { FRAMEWORKS, type Framework, type RunningApp, type StartOptions, startApp } from './servers.js';
