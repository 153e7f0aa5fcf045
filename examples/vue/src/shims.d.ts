// Lets tsc type-check the plain TypeScript of this example; the .vue files need vue-tsc.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
