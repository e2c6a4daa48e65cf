// Onsite UI behaviour. Loaded as an external script: the CSP forbids inline script.
document.documentElement.classList.add('js');
