//! Scratch exploration (replaced below).

use varco_e2e::{Chromium, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explore() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for (w, h) in [(390, 844), (1280, 800)] {
        for page in [
            "/demo-site/milomb/index.html",
            "/demo-site/calvatone/index.html",
            "/demo-site/milomb/contatti.html",
        ] {
            let tab = chromium.tab().await.unwrap();
            tab.phone_screen(w, h).await.unwrap();
            tab.open(&server.url(page)).await.unwrap();
            let _ = tab.press("Rifiuta tutti").await;
            tab.wait_for("!document.querySelector('varco-widget').shadowRoot.querySelector('section.banner')", 10).await.unwrap();
            let mut covered = Vec::new();
            let height = tab
                .eval("document.documentElement.scrollHeight")
                .await
                .unwrap()
                .as_i64()
                .unwrap();
            let mut y = 0;
            while y < height + h {
                tab.eval(&format!("window.scrollTo(0, {y})")).await.unwrap();
                tab.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    .await
                    .unwrap();
                for l in tab.page_links_covered("footer a").await.unwrap() {
                    if !covered.contains(&l) {
                        covered.push(l);
                    }
                }
                y += 60;
            }
            println!("{w}x{h} {page}: {covered:?}");
            let name = page.replace('/', "_");
            tab.screenshot(&format!("explore-{w}-{name}-bottom"))
                .await
                .unwrap();
            if page.contains("index") {
                let _ = tab
                    .in_widget("shadow.querySelector('button.launcher').click()")
                    .await;
                tab.wait_for("!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')", 5).await.unwrap();
                tab.screenshot(&format!("explore-{w}-{name}-welcome"))
                    .await
                    .unwrap();
                tab.press("Accetto").await.unwrap();
                for q in [
                    "come faccio ad avere lo spid?",
                    "quanto costa una visura?",
                    "ciao",
                ] {
                    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
                        .await
                        .unwrap();
                    tab.type_text(q).await.unwrap();
                    tab.key("Enter").await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                }
                tab.screenshot(&format!("explore-{w}-{name}-chat"))
                    .await
                    .unwrap();
                println!("{:?}", tab.widget_geometry_problems().await.unwrap());
                println!("{}", tab.axe_all_violations().await.unwrap());
                println!(
                    "{}",
                    tab.in_widget(
                        "[...shadow.querySelectorAll('.quick-reply')].map(b => b.textContent)"
                    )
                    .await
                    .unwrap()
                );
            }
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}
