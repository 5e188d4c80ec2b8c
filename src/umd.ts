/** The `<script>` bundle's global `tvunet`: the library and the volume entry together. */
export * from './index.js';
export * from './volume/index.js';
