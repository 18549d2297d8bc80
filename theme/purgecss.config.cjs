/* PurgeCSS (npm purgecss, installed by `make tools`) over Unfold's compiled Tailwind stylesheet:
 * keeps the rules whose class names appear somewhere in the templates, scripts and Python that can
 * render inside the admin, drops the rest (Unfold ships classes for any template a project might
 * write). Run through `manage.py trim_styles`, which passes the folders below in the environment. */
const site = process.env.SITE_PACKAGES;
const root = process.env.PROJECT_ROOT;

module.exports = {
  css: [`${site}/unfold/static/unfold/css/styles.css`],
  content: [
    `${site}/unfold/**/*.{html,js,py}`,
    `${site}/django/contrib/admin/templates/**/*.html`,
    `${site}/import_export/templates/**/*.html`,
    `${site}/django_rq/templates/**/*.html`,
    `${root}/theme/**/*.{html,js}`,
    `${root}/modules/**/*.{html,js,py}`,
    `${root}/site/**/*.{html,py}`,
  ],
  // Tailwind's class names hold ":", "/", "[" and "]" (md:flex, w-1/2, [&>a]:px-2): a word is
  // anything between quotes, angle brackets, backticks, braces and spaces, not ending in ":"
  // (braces: a class beside a template tag, {% if dataset %}py-16{% else %}py-24{% endif %}).
  defaultExtractor: (content) => content.match(/[^<>"'`\s{}]*[^<>"'`\s{}:]/g) || [],
};
