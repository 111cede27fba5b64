export default {
  template: `<div class="whitespace-pre-wrap break-words"></div>`,
  methods: {
    append(text) {
      this.$el.appendChild(document.createTextNode(text));
      this.$emit("appended");
    },
  },
};
