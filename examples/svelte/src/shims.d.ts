// Lets tsc type-check the plain TypeScript of this example; the .svelte files need svelte-check.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}
