/** Vite's `?url` imports: the URL of a bundled asset. */
declare module '*?url' {
  const url: string
  export default url
}
