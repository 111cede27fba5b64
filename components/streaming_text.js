// Text that grows by appended pieces. The page follows the reply only while the reader is at the bottom:
// someone who scrolled up to read is left where they are.
export default {
  template: `<div class="whitespace-pre-wrap break-words">{{ initial }}</div>`,
  props: { initial: String },
  methods: {
    append(text) {
      const page = document.scrollingElement;
      const following = page.scrollHeight - page.scrollTop - page.clientHeight < 80;
      this.$el.appendChild(document.createTextNode(text));
      if (following) page.scrollTop = page.scrollHeight;
      this.$emit("appended");
    },
  },
};
